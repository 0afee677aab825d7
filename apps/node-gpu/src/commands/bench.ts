import { GPTModel, generate } from '@scratchgpt/gpt-model';
import { Generator, manualSeed, tf } from '@scratchgpt/tensor';
import { AdamW, computeGradients, languageModelLoss } from '@scratchgpt/trainer';
import { atMost, type Flags, type FlagValues } from '../args.js';
import { UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { resolveConfig, windowLength } from '../model-config.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

const MEASURES = ['train', 'forward', 'generate'] as const;
type Measure = (typeof MEASURES)[number];

/** `--only forward,generate` → those measures; every measure without the flag. */
function measuresFrom(list: string | undefined): Set<Measure> {
  if (list === undefined) return new Set(MEASURES);
  const chosen = list.split(',').map((name) => name.trim());
  for (const name of chosen) {
    if (!(MEASURES as readonly string[]).includes(name)) {
      throw new UsageError(`--only ${list}: '${name}' is not a measure; use any of ${MEASURES.join(', ')}`);
    }
  }
  return new Set(chosen as Measure[]);
}

const benchFlags = {
  config: {
    type: 'string',
    value: 'NAME|FILE.json',
    default: 'gpt-tiny',
    help: 'the model to measure, with random weights',
  },
  'batch-size': { type: 'integer', value: 'B', min: 1, default: 4, help: 'windows per batch' },
  context: {
    type: 'integer',
    value: 'N',
    min: 1,
    defaultText: "64, or the model's context length if shorter",
    help: 'tokens per window',
  },
  steps: { type: 'integer', value: 'S', min: 1, default: 5, help: 'timed steps of each measure' },
  'generate-tokens': {
    type: 'integer',
    value: 'G',
    min: 1,
    defaultText: '32; within the context',
    help: 'tokens generated after an 8-token prompt',
  },
  only: {
    type: 'string',
    value: MEASURES.join(','),
    defaultText: 'all',
    help: 'the measures to take, any of them; the others are null',
  },
} as const satisfies Flags;

export const bench = defineCommand({
  summary: 'training, forward and generation speed',
  description: `Measures, after one warm-up of each: training tokens/s (forward, backward, AdamW), forward tokens/s,
generation tokens/s (KV cache, batch 1), and the peak tensor memory of a training step.`,
  flags: benchFlags,
  notes:
    'With --json: {"backend","trainTokensPerSec","forwardTokensPerSec","generateTokensPerSec","peakBytes",…}.',
  run: runBench,
});

async function runBench(values: FlagValues<typeof benchFlags>, context: CommandContext): Promise<number> {
  const { config: configName, 'batch-size': batchSize, steps } = values;
  const base = await resolveConfig(configName);
  const length = windowLength(base, values.context ?? Math.min(64, base.contextLength));
  const measures = measuresFrom(values.only);
  const generateTokens =
    atMost('generate-tokens', values['generate-tokens'], base.contextLength - 8) ??
    Math.min(32, base.contextLength - 8);
  const choice = await context.startBackend();
  checkMemory(base, { batchSize, tokens: length, training: measures.has('train') });
  manualSeed(context.seed);
  const model = new GPTModel(base);
  const random = new Generator(context.seed);
  const batch = () => ({
    inputs: tf.tensor2d(
      Int32Array.from({ length: batchSize * length }, () => random.randint(0, base.vocabSize)),
      [batchSize, length],
      'int32',
    ),
    targets: tf.tensor2d(
      Int32Array.from({ length: batchSize * length }, () => random.randint(0, base.vocabSize)),
      [batchSize, length],
      'int32',
    ),
  });
  // Only a training measure needs the optimizer (GPT-2 small's moments alone take 1.3 GB).
  const optimizer = measures.has('train')
    ? new AdamW(model.namedParameters(), {
        lr: 4e-4,
        weightDecay: 0.1,
      })
    : null;
  const trainStep = async () => {
    const { inputs, targets } = batch();
    const { loss, grads } = computeGradients(model, () =>
      // The loss the training loop uses: the output head fused with the cross-entropy.
      languageModelLoss(model, inputs, targets),
    );
    optimizer?.step(grads);
    await loss.data();
    tf.dispose([loss, inputs, targets, ...grads.values()]);
  };
  const forwardStep = async () => {
    const { inputs, targets } = batch();
    const logits = model.forward(inputs);
    await logits.data();
    tf.dispose([logits, inputs, targets]);
  };
  const timed = async (count: number, step: () => Promise<void>) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) await step();
    return (performance.now() - started) / 1000;
  };

  let trainSeconds: number | null = null;
  let peakBytes: number | null = null;
  if (measures.has('train')) {
    model.train();
    await trainStep(); // warm-up: kernels compile, buffers are allocated
    peakBytes = (await tf.profile(trainStep)).peakBytes;
    trainSeconds = await timed(steps, trainStep);
  }
  model.eval();
  let forwardSeconds: number | null = null;
  if (measures.has('forward')) {
    await forwardStep();
    forwardSeconds = await timed(steps, forwardStep);
  }
  let generateSeconds: number | null = null;
  if (measures.has('generate')) {
    const prompt = Array.from({ length: 8 }, () => random.randint(0, base.vocabSize));
    await generate(model, prompt, { maxNewTokens: 2 });
    const generateStarted = performance.now();
    await generate(model, prompt, { maxNewTokens: generateTokens });
    generateSeconds = (performance.now() - generateStarted) / 1000;
  }
  const perSecond = (count: number, seconds: number | null) => (seconds === null ? null : count / seconds);

  const tokensPerStep = batchSize * length;
  const result = {
    backend: choice.backend,
    config: configName,
    parameters: model.numParameters(),
    batchSize,
    context: length,
    steps,
    trainTokensPerSec: perSecond(steps * tokensPerStep, trainSeconds),
    forwardTokensPerSec: perSecond(steps * tokensPerStep, forwardSeconds),
    generateTokensPerSec: perSecond(generateTokens, generateSeconds),
    secondsPerTrainStep: trainSeconds === null ? null : trainSeconds / steps,
    peakBytes,
  };
  optimizer?.dispose();
  model.dispose();
  const figure = (value: number | null, unit: string) =>
    value === null ? 'not measured' : `${value.toFixed(1)} ${unit}`;
  context.output.result(result, () =>
    [
      `${configName} (${result.parameters.toLocaleString('en-US')} parameters) on ${choice.backend}, batch ${batchSize} × ${length}:`,
      `  train    ${figure(result.trainTokensPerSec, 'tokens/s')}${result.secondsPerTrainStep === null ? '' : ` (${result.secondsPerTrainStep.toFixed(2)} s a step)`}`,
      `  forward  ${figure(result.forwardTokensPerSec, 'tokens/s')}`,
      `  generate ${figure(result.generateTokensPerSec, 'tokens/s')}`,
      `  peak tensor memory ${figure(peakBytes === null ? null : peakBytes / 2 ** 20, 'MiB')}`,
    ].join('\n'),
  );
  return 0;
}

import { GPTModel, generate } from '@scratchgpt/gpt-model';
import { Generator, manualSeed, tf } from '@scratchgpt/tensor';
import { AdamW, computeGradients, languageModelLoss } from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, parseFlags, stringFlag } from '../args.js';
import { UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { resolveConfig, windowLength } from '../model-config.js';
import type { Command } from './command.js';
import type { CommandContext } from './context.js';

const benchFlags = {
  config: { type: 'string' },
  'batch-size': { type: 'string' },
  context: { type: 'string' },
  steps: { type: 'string' },
  'generate-tokens': { type: 'string' },
  only: { type: 'string' },
} as const satisfies FlagSpec;

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

export const bench: Command = {
  summary: 'training, forward and generation speed',
  usage:
    'scratchgpt bench [--config NAME|FILE.json] [--batch-size B] [--context N] [--steps S] [--generate-tokens G] [--only train,forward,generate]',
  help: `Measures, after one warm-up of each: training tokens/s (forward, backward, AdamW), forward tokens/s,
generation tokens/s (KV cache, batch 1), and the peak tensor memory of a training step.
  --config NAME|FILE     the model to measure (default gpt-tiny), with random weights
  --batch-size B         windows per batch (default 4)
  --context N            tokens per window (default: 64, or the model's context length if shorter)
  --steps S              timed steps of each measure (default 5)
  --generate-tokens G    tokens generated after an 8-token prompt (default 32; within the context)
  --only LIST            the measures to take (default all; the others are null)
With --json: {"backend","trainTokensPerSec","forwardTokensPerSec","generateTokensPerSec","peakBytes",…}.`,
  run: runBench,
};

async function runBench(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, benchFlags, 'bench');
  const configName = stringFlag(values, 'config') ?? 'gpt-tiny';
  const base = await resolveConfig(configName);
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 4;
  const length = windowLength(
    base,
    numberFlag(values, 'context', { integer: true, min: 1 }) ?? Math.min(64, base.contextLength),
  );
  const steps = numberFlag(values, 'steps', { integer: true, min: 1 }) ?? 5;
  const measures = measuresFrom(stringFlag(values, 'only'));
  const generateTokens =
    numberFlag(values, 'generate-tokens', { integer: true, min: 1, max: base.contextLength - 8 }) ??
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

import { GPTModel, generate } from '@scratchgpt/gpt-model';
import { Generator, manualSeed, tf } from '@scratchgpt/tensor';
import { AdamW, computeGradients, crossEntropy, preferredMomentsLocation } from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, parseFlags, stringFlag } from '../args.js';
import { contextFor, resolveConfig } from '../model-config.js';
import type { CommandContext } from './context.js';

export const benchFlags = {
  config: { type: 'string' },
  'batch-size': { type: 'string' },
  context: { type: 'string' },
  steps: { type: 'string' },
  'generate-tokens': { type: 'string' },
} as const satisfies FlagSpec;

export const benchHelp = `scratchgpt bench [--config NAME|FILE.json] [--batch-size B] [--context T] [--steps N]

Measures, after one warm-up of each: training tokens/s (forward, backward, AdamW), forward tokens/s,
generation tokens/s (KV cache, batch 1), and the peak tensor memory of a training step.
Defaults: --config gpt-tiny, --batch-size 4, --context 64 (capped at the model's), --steps 5.
With --json: {"backend","trainTokensPerSec","forwardTokensPerSec","generateTokensPerSec","peakBytes",…}.`;

export async function runBench(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, benchFlags, 'bench');
  const configName = stringFlag(values, 'config') ?? 'gpt-tiny';
  const base = await resolveConfig(configName);
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 4;
  const length = contextFor(
    base,
    numberFlag(values, 'context', { integer: true, min: 1 }) ?? Math.min(64, base.contextLength),
  );
  const steps = numberFlag(values, 'steps', { integer: true, min: 1 }) ?? 5;
  const generateTokens = numberFlag(values, 'generate-tokens', { integer: true, min: 1 }) ?? 32;
  const choice = await context.startBackend();
  manualSeed(context.seed);
  const model = new GPTModel({
    ...base,
    contextLength: Math.max(length, Math.min(base.contextLength, length + generateTokens)),
  });
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
  const optimizer = new AdamW(model.namedParameters(), {
    lr: 4e-4,
    weightDecay: 0.1,
    moments: preferredMomentsLocation(model.numParameters()),
  });
  const trainStep = async () => {
    const { inputs, targets } = batch();
    const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(inputs), targets));
    optimizer.step(grads);
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

  model.train();
  await trainStep(); // warm-up: kernels compile, buffers are allocated
  const profile = await tf.profile(trainStep);
  const trainSeconds = await timed(steps, trainStep);
  model.eval();
  await forwardStep();
  const forwardSeconds = await timed(steps, forwardStep);
  const prompt = Array.from({ length: 8 }, () => random.randint(0, base.vocabSize));
  await generate(model, prompt, { maxNewTokens: 2 });
  const generateStarted = performance.now();
  await generate(model, prompt, { maxNewTokens: generateTokens });
  const generateSeconds = (performance.now() - generateStarted) / 1000;

  const result = {
    backend: choice.backend,
    config: configName,
    parameters: model.numParameters(),
    batchSize,
    context: length,
    steps,
    trainTokensPerSec: (steps * batchSize * length) / trainSeconds,
    forwardTokensPerSec: (steps * batchSize * length) / forwardSeconds,
    generateTokensPerSec: generateTokens / generateSeconds,
    secondsPerTrainStep: trainSeconds / steps,
    peakBytes: profile.peakBytes,
  };
  optimizer.dispose();
  model.dispose();
  context.output.result(result, () =>
    [
      `${configName} (${result.parameters.toLocaleString('en-US')} parameters) on ${choice.backend}, batch ${batchSize} × ${length}:`,
      `  train    ${result.trainTokensPerSec.toFixed(1)} tokens/s (${result.secondsPerTrainStep.toFixed(2)} s a step)`,
      `  forward  ${result.forwardTokensPerSec.toFixed(1)} tokens/s`,
      `  generate ${result.generateTokensPerSec.toFixed(1)} tokens/s`,
      `  peak tensor memory ${(result.peakBytes / 2 ** 20).toFixed(1)} MiB`,
    ].join('\n'),
  );
  return 0;
}

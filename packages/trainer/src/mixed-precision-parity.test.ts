/**
 * Mixed precision tracks float32: gpt-tiny's shape (emb 128, 4 heads, 2 layers, context 64) trained on
 * the-verdict in f16 (with loss scaling) and in bf16 from the same weights on the same batches ends
 * within 2% of float32's validation loss. The text is read as UTF-8 bytes (vocabulary 256) so the
 * steps stay fast; `apps/node-gpu/bench/mixed-precision.mjs` runs the 200 steps with GPT-2's
 * vocabulary and reports the figures.
 */
import { readFileSync } from 'node:fs';
import { createDataLoader, GPTDataset, splitTrainValidation } from '@scratchgpt/data-loader';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { type AutocastPrecision, initBackend, manualSeed, tf } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { type TrainEvent, trainModel } from './train.js';

const STEPS = 30;
const text = readFileSync(new URL('../../../data/the-verdict.txt', import.meta.url), 'utf8');
const { train, validation } = splitTrainValidation(text);
const bytes = (part: string) => Int32Array.from(new TextEncoder().encode(part));
const config = preset('gpt-tiny', { vocabSize: 256, dropRate: 0 });
const loader = (part: string, shuffle: boolean) =>
  createDataLoader(new GPTDataset(bytes(part), { maxLength: 64, stride: 64 }), {
    batchSize: 2,
    shuffle,
    seed: 5,
  });

interface Run {
  losses: number[];
  valLoss: number;
  steps: Extract<TrainEvent, { event: 'step' }>[];
}

async function trainIn(precision: AutocastPrecision): Promise<Run> {
  manualSeed(123);
  const model = new GPTModel(config);
  const run: Run = { losses: [], valLoss: Number.NaN, steps: [] };
  for await (const event of trainModel({
    model,
    train: loader(train, true),
    validation: loader(validation, false),
    lr: 2e-3,
    maxSteps: STEPS,
    precision,
  })) {
    if (event.event === 'step') {
      run.losses.push(event.loss);
      run.steps.push(event);
    }
    if (event.event === 'eval') run.valLoss = event.valLoss!;
  }
  model.dispose();
  return run;
}

const largestDifference = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

describe(`${STEPS} steps of gpt-tiny's shape on the-verdict`, () => {
  it('in f16 and bf16 end within 2% of float32’s validation loss, without a skipped step', async () => {
    await initBackend({ prefer: 'wasm' });
    const before = tf.memory().numTensors;
    const f32 = await trainIn('f32');
    const f16 = await trainIn('f16');
    const bf16 = await trainIn('bf16');
    expect(tf.memory().numTensors).toBe(before);
    // The runs learn: the loss falls well below a uniform guess over 256 bytes (ln 256 ≈ 5.5).
    expect(f32.valLoss).toBeLessThan(3.5);
    for (const run of [f16, bf16]) {
      expect(Math.abs(run.valLoss - f32.valLoss) / f32.valLoss).toBeLessThan(0.02);
      // Not the float32 run again: the rounding is there.
      expect(largestDifference(run.losses, f32.losses)).toBeGreaterThan(0);
    }
    expect(f16.steps.every((step) => step.skipped === false && step.lossScale === 65536)).toBe(true);
    expect(bf16.steps.every((step) => step.lossScale === undefined && step.skipped === undefined)).toBe(true);
  });
});

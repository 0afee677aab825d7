/**
 * Ten AdamW steps of each family's small model through the trainer's `trainModel`, against the same
 * steps in PyTorch: every loss within 1e-5 and every final weight within 1e-4. Not on cpu: TF.js's
 * cpu kernel for the embedding's gradient is slow (the trainer's own parity test covers cpu).
 */
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { type BatchSource, type TrainBatch, trainModel } from '@scratchgpt/trainer';
import { describe, expect, it } from 'vitest';
import type { DecoderModel } from './blocks/decoder-model.js';
import { Gemma3Model } from './gemma3/model.js';
import { Llama3Model } from './llama3/model.js';
import { Qwen3Model } from './qwen3/model.js';
import { fixtureJson, fixtureModel, fixtureTensors } from './test-support/fixtures.js';

interface Training {
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  steps: number;
}

// biome-ignore lint/suspicious/noExplicitAny: each family's config type is read from its fixture
const families: Array<[string, (config: any) => DecoderModel]> = [
  ['qwen3-tiny', (config) => new Qwen3Model(config)],
  ['llama3-tiny', (config) => new Llama3Model(config)],
  ['gemma3-tiny', (config) => new Gemma3Model(config)],
];

/** The fixture's ten batches of 2 × 16 tokens, in order, as one epoch. */
function fixtureBatches(fixture: string, steps: number): BatchSource<TrainBatch> {
  const batches = fixtureTensors(fixture, 'batches.safetensors');
  const [, batchSize, length] = batches('inputs').shape as [number, number, number];
  const size = batchSize * length;
  const row = (name: string, step: number) =>
    Int32Array.from(batches(name).data.subarray(step * size, (step + 1) * size));
  return {
    length: steps,
    batchSize,
    maxLength: length,
    *batches() {
      for (let step = 0; step < steps; step++) {
        yield { batchSize, length, inputs: row('inputs', step), targets: row('targets', step) };
      }
    },
  };
}

const backends = (await findTestBackends()).filter(({ backend }) => backend !== 'cpu');

describe.each(backends)('ten AdamW steps against PyTorch on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(families)(
    '%s: losses within 1e-5, weights within 1e-4',
    async (fixture, build) => {
      await initBackend({ prefer: backend });
      const { optimizer, steps } = fixtureJson<Training>(fixture, 'training.json');
      const before = tf.memory().numTensors;
      const model = fixtureModel(fixture, build);
      const losses: number[] = [];
      for await (const event of trainModel({
        model,
        train: fixtureBatches(fixture, steps),
        lr: optimizer.lr,
        weightDecay: optimizer.weight_decay,
        betas: optimizer.betas,
        eps: optimizer.eps,
        epochs: 1,
      })) {
        if (event.event === 'step') losses.push(event.loss);
      }
      const expected = fixtureJson<number[]>(fixture, 'losses.json');
      expect(losses).toHaveLength(steps);
      expect(maxAbsDiff(losses, expected)).toBeLessThanOrEqual(1e-5);
      const final = fixtureTensors(fixture, 'final.safetensors');
      for (const [name, parameter] of model.namedParameters()) {
        expect(maxAbsDiff(await parameter.data(), final(name).data), name).toBeLessThanOrEqual(1e-4);
      }
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
    300_000,
  );
});

/**
 * Recomputing each layer's activations in the backward pass gives the very loss and gradients of
 * keeping them, bit for bit (the weights and LoRA updates), and the same training steps.
 */
import { applyLoRA } from '@scratchgpt/lora';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { type BatchSource, type TrainBatch, trainModel } from '@scratchgpt/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { Gemma3Model } from '../gemma3/model.js';
import { Qwen3Model } from '../qwen3/model.js';
import { fixtureModel } from '../test-support/fixtures.js';
import type { DecoderModel } from './decoder-model.js';

const backends = (await findTestBackends()).filter(({ backend }) => backend !== 'webgpu');
afterAll(() => initBackend({ prefer: 'cpu' }));

// biome-ignore lint/suspicious/noExplicitAny: each family's config type is read from its fixture
const families: Array<[string, (config: any) => DecoderModel]> = [
  ['qwen3-tiny', (config) => new Qwen3Model(config)],
  ['gemma3-tiny', (config) => new Gemma3Model(config)],
];

/** Token ids long enough for Gemma 3's sliding window (12) to bite. */
const ids = () =>
  tf.tensor2d(
    Array.from({ length: 2 * 20 }, (_, i) => (i * 53 + 7) % 300),
    [2, 20],
    'int32',
  );

/** The loss and every trainable parameter's gradient, by name. */
async function lossAndGradients(model: DecoderModel, input: tf.Tensor) {
  const named = model.namedParameters().filter(([, variable]) => variable.trainable);
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.square(model.forward(input))) as tf.Scalar,
    named.map(([, variable]) => variable),
  );
  const out: Array<[string, Float32Array]> = [['loss', (await value.data()) as Float32Array]];
  for (const [name, variable] of named) {
    out.push([name, (await grads[variable.name]?.data()) as Float32Array]);
  }
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

async function expectSameGradients(model: DecoderModel): Promise<void> {
  const input = ids();
  model.train();
  const kept = await lossAndGradients(model, input);
  const before = tf.memory().numTensors;
  model.recompute = 'blocks';
  const recomputed = await lossAndGradients(model, input);
  expect(tf.memory().numTensors).toBe(before);
  expect(recomputed.map(([name]) => name)).toEqual(kept.map(([name]) => name));
  recomputed.forEach(([name, values], i) => {
    expect(values, name).toBeInstanceOf(Float32Array);
    expect(values, name).toEqual(kept[i]?.[1]);
  });
  input.dispose();
}

describe.each(backends)('DecoderModel recompute on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(families)(
    '%s: the loss and every gradient, bit for bit',
    async (fixture, build) => {
      await initBackend({ prefer: backend });
      const model = fixtureModel(fixture, build);
      await expectSameGradients(model);
      model.dispose();
    },
  );

  it.skipIf(!available)('qwen3-tiny under LoRA: the updates’ gradients, bit for bit', async () => {
    await initBackend({ prefer: backend });
    const model = fixtureModel('qwen3-tiny', families[0]![1]);
    applyLoRA(model, { rank: 2, alpha: 4, generator: new Generator(5) });
    await expectSameGradients(model);
    model.dispose();
  });
});

/** Three batches of 2 × 12 tokens. */
function batches(): BatchSource<TrainBatch> {
  const generator = new Generator(11);
  const rows = Array.from({ length: 3 }, () => ({
    inputs: Int32Array.from({ length: 24 }, () => generator.randint(0, 300)),
    targets: Int32Array.from({ length: 24 }, () => generator.randint(0, 300)),
  }));
  return {
    length: rows.length,
    batchSize: 2,
    maxLength: 12,
    *batches() {
      for (const row of rows) yield { batchSize: 2, length: 12, ...row };
    },
  };
}

describe('DecoderModel recompute in trainModel', () => {
  it('takes the same steps, leaving no tensor behind', async () => {
    await initBackend({ prefer: 'wasm' });
    const run = async (recompute: 'none' | 'blocks') => {
      const before = tf.memory().numTensors;
      const model = fixtureModel('gemma3-tiny', families[1]![1]);
      model.recompute = recompute;
      const losses: number[] = [];
      for await (const event of trainModel({ model, train: batches(), lr: 1e-2, epochs: 1 })) {
        if (event.event === 'step') losses.push(event.loss);
      }
      const weights = await Promise.all(model.parameters().map((parameter) => parameter.data()));
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return { losses, weights };
    };
    const kept = await run('none');
    const recomputed = await run('blocks');
    expect(recomputed.losses).toHaveLength(3);
    expect(recomputed.losses).toEqual(kept.losses);
    expect(recomputed.weights).toEqual(kept.weights);
  }, 120_000);
});

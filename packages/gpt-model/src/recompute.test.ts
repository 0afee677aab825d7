/**
 * Recomputing each block's activations in the backward pass gives the very gradients of keeping them,
 * bit for bit, with dropout drawing the same masks, on every backend the parity tests run.
 */
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from './config.js';
import { GPTModel } from './gpt-model.js';

const backends = (await findTestBackends()).filter(({ backend }) => backend !== 'webgpu');
afterAll(() => initBackend({ prefer: 'cpu' }));

const tiny: GPTConfig = {
  vocabSize: 96,
  contextLength: 16,
  embDim: 32,
  nHeads: 4,
  nLayers: 3,
  dropRate: 0.2,
  qkvBias: true,
};

/** The loss and every parameter's gradient (by name) over two steps, dropout on. */
async function lossAndGradients(model: GPTModel, dropout: Generator, ids: tf.Tensor) {
  const start = dropout.getState();
  const out: Array<[string, Float32Array]> = [];
  let held = 0;
  for (let step = 0; step < 2; step++) {
    const named = model.namedParameters();
    const { value, grads } = tf.variableGrads(
      () => {
        const before = tf.memory().numTensors;
        const logits = model.forward(ids);
        held = tf.memory().numTensors - before; // what the forward leaves for the backward pass
        return tf.mean(tf.square(logits)) as tf.Scalar;
      },
      named.map(([, variable]) => variable),
    );
    out.push([`loss ${step}`, (await value.data()) as Float32Array]);
    for (const [name, variable] of named) {
      out.push([`${name} ${step}`, (await grads[variable.name]?.data()) as Float32Array]);
    }
    tf.dispose([value, ...Object.values(grads)]);
  }
  const end = dropout.getState();
  dropout.setState(start);
  return { out, end, held };
}

describe.each(backends)('GPTModel recompute on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'gives the loss and every gradient of keeping the activations, bit for bit',
    async () => {
      await initBackend({ prefer: backend });
      const dropout = new Generator(3);
      const model = new GPTModel(tiny, { generator: dropout });
      model.train();
      const ids = tf.tensor2d(
        Array.from({ length: 2 * 12 }, (_, i) => (i * 37) % tiny.vocabSize),
        [2, 12],
        'int32',
      );
      const kept = await lossAndGradients(model, dropout, ids);
      const before = tf.memory().numTensors;
      model.recompute = 'blocks';
      const recomputed = await lossAndGradients(model, dropout, ids);
      expect(tf.memory().numTensors).toBe(before);
      expect(recomputed.out.map(([name]) => name)).toEqual(kept.out.map(([name]) => name));
      recomputed.out.forEach(([name, values], i) => {
        expect(values, name).toBeInstanceOf(Float32Array);
        expect(values, name).toEqual(kept.out[i]?.[1]);
      });
      // The dropout stream goes on as if every block had run once.
      expect(recomputed.end).toEqual(kept.end);
      // …while the forward kept far fewer tensors for it.
      expect(recomputed.held).toBeLessThan(kept.held / 2);
      model.dispose();
      ids.dispose();
    },
  );
});

describe('GPTModel recompute', () => {
  it('leaves evaluation and generation with a cache as they were', async () => {
    await initBackend({ prefer: 'cpu' });
    const model = new GPTModel(tiny, { generator: new Generator(4), recompute: 'blocks' });
    expect(model.recompute).toBe('blocks');
    model.eval();
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const plain = await model.forward(ids).data();
    model.recompute = 'none';
    expect(await model.forward(ids).data()).toEqual(plain);
    model.recompute = 'blocks';
    model.train();
    const cache = model.createCache();
    // With a cache the blocks run as they are: the cache fills, layer by layer.
    tf.tidy(() => model.forward(ids, { cache }));
    expect(cache.length).toBe(4);
    cache.dispose();
    model.dispose();
    ids.dispose();
  });
});

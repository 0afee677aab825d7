import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { preferredMomentsLocation } from './adamw-moments.js';
import { crossEntropy } from './cross-entropy.js';
import { languageModelLoss } from './loss.js';

const backends = await findTestBackends();

/**
 * A GPT whose vocabulary table is three shards, so the fused path meets sharding too, and a batch of
 * 2 × 12 tokens with one target ignored.
 */
function nanoModelAndBatch() {
  const model = new GPTModel(preset('gpt-nano', { vocabSize: 300, contextLength: 12, dropRate: 0 }), {
    generator: new Generator(1),
    maxShardBytes: 100 * 48 * 4,
  });
  expect(model.outputWeights()).toHaveLength(3);
  const g = new Generator(2);
  const ids = (ignored: number) =>
    tf.tensor2d(
      Int32Array.from({ length: 24 }, (_, i) => (i === ignored ? -100 : g.randint(0, 300))),
      [2, 12],
      'int32',
    );
  return { model, inputs: ids(-1), targets: ids(5) };
}

describe.each(backends)('languageModelLoss on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'fuses the head with the loss: same value and gradients as crossEntropy(forward)',
    async () => {
      await initBackend({ prefer: backend });
      const { model, inputs, targets } = nanoModelAndBatch();
      const fused = tf.variableGrads(() => languageModelLoss(model, inputs, targets));
      const plain = tf.variableGrads(() => crossEntropy(model.forward(inputs), targets));
      // The book's path as an option of the same function: forward's logits, then the cross-entropy.
      const logits = tf.variableGrads(() => languageModelLoss(model, inputs, targets, { head: 'logits' }));
      expect((await logits.value.data())[0]).toBe((await plain.value.data())[0]);
      expect(Math.abs((await fused.value.data())[0]! - (await plain.value.data())[0]!)).toBeLessThan(1e-5);
      for (const [name, grad] of Object.entries(plain.grads)) {
        expect(maxAbsDiff(await fused.grads[name]!.data(), await grad.data()), name).toBeLessThan(1e-5);
        expect(await logits.grads[name]!.data(), name).toEqual(await grad.data());
      }
      model.dispose();
    },
  );
});

describe.each(backends)('languageModelLoss with a 16-bit head on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'fuses the bf16 head with the loss: same value and gradients as crossEntropy(forward)',
    async () => {
      await initBackend({ prefer: backend });
      const { model, inputs, targets } = nanoModelAndBatch();
      await model.storeWeights('bf16');
      expect(model.outputWeights()).toHaveLength(3);
      // What still trains under a 16-bit base: the norms, biases and positions.
      const fused = tf.variableGrads(() => languageModelLoss(model, inputs, targets));
      const plain = tf.variableGrads(() => crossEntropy(model.forward(inputs), targets));
      expect(Object.keys(fused.grads).sort()).toEqual(Object.keys(plain.grads).sort());
      expect(Object.keys(plain.grads).length).toBeGreaterThan(0);
      expect(Math.abs((await fused.value.data())[0]! - (await plain.value.data())[0]!)).toBeLessThan(1e-5);
      for (const [name, grad] of Object.entries(plain.grads)) {
        expect(maxAbsDiff(await fused.grads[name]!.data(), await grad.data()), name).toBeLessThan(1e-5);
      }
      tf.dispose([fused.value, plain.value, ...Object.values(fused.grads), ...Object.values(plain.grads)]);
      tf.dispose([inputs, targets]);
      model.dispose();
    },
  );
});

describe('preferredMomentsLocation', () => {
  it('keeps moments on the host only where a wasm heap would be too small', async () => {
    await initBackend({ prefer: 'wasm' });
    expect(preferredMomentsLocation(14_000_000)).toBe('device');
    expect(preferredMomentsLocation(162_000_000)).toBe('host');
    await initBackend({ prefer: 'cpu' });
    expect(preferredMomentsLocation(162_000_000)).toBe('device');
  });
});

import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Qwen3Config } from '../qwen3/config.js';
import { Qwen3Model } from '../qwen3/model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const tiny: Qwen3Config = {
  vocabSize: 50,
  contextLength: 16,
  embDim: 32,
  nHeads: 4,
  nKvGroups: 2,
  headDim: 12,
  hiddenDim: 48,
  nLayers: 2,
  ropeBase: 1_000_000,
  normEps: 1e-6,
  tieEmbeddings: true,
};

describe('an open model with 16-bit weights', () => {
  it('(Qwen3, tied head) computes the logits of the float32 model of its rounded weights', async () => {
    const half = new Qwen3Model(tiny, { generator: new Generator(1) });
    await half.storeWeights('bf16');
    const rounded = new Qwen3Model(tiny, { generator: new Generator(2) });
    const state = half.stateDict();
    rounded.loadStateDict(state);
    tf.dispose([...state.values()]);
    // Only the norms stay float32 parameters.
    expect(half.namedParameters().every(([name]) => name.endsWith('norm.weight'))).toBe(true);
    const ids = tf.tensor2d([[3, 14, 15, 9, 2]], undefined, 'int32');
    const [a, b] = [half.forward(ids), rounded.forward(ids)];
    expect(maxAbsDiff(await a.data(), await b.data())).toBe(0);
    tf.dispose([a, b, ids]);
    half.dispose();
    rounded.dispose();
  });
});

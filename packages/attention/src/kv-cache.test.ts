import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { KVCache } from './kv-cache.js';
import { MultiHeadAttention } from './multi-head-attention.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('KV cache', () => {
  it('token by token gives the same outputs as the whole sequence at once', async () => {
    const attention = new MultiHeadAttention({
      dIn: 16,
      dOut: 16,
      contextLength: 12,
      dropout: 0,
      numHeads: 4,
      qkvBias: true,
      generator: new Generator(0),
    }).eval();
    const x = tf.randomNormal([2, 9, 16], 0, 1, 'float32', 3);
    const whole = await attention.forward(x).array();

    const cache = new KVCache(1);
    const prefix = attention.forward(tf.slice(x, [0, 0, 0], [2, 5, 16]), { cache: cache.layer(0) });
    expect(cache.length).toBe(5);
    const steps = [prefix];
    for (let t = 5; t < 9; t++)
      steps.push(attention.forward(tf.slice(x, [0, t, 0], [2, 1, 16]), { cache: cache.layer(0) }));
    expect(cache.length).toBe(9);
    const incremental = (await tf.concat(steps, 1).array()) as number[][][];
    expect(maxAbsDiff(incremental.flat(2), (whole as number[][][]).flat(2))).toBeLessThan(1e-5);
    cache.dispose();
    expect(cache.length).toBe(0);
  });

  it('keeps only its own tensors alive', () => {
    const attention = new MultiHeadAttention({ dIn: 8, dOut: 8, contextLength: 8, dropout: 0, numHeads: 2 });
    tf.dispose(attention.forward(tf.ones([1, 8, 8]))); // the layer builds its causal mask at first use
    const cache = new KVCache(1);
    const before = tf.memory().numTensors;
    const token = tf.ones([1, 1, 8]);
    for (let t = 0; t < 6; t++) tf.dispose(attention.forward(token, { cache: cache.layer(0) }));
    token.dispose();
    // The keys and the values of one layer.
    expect(tf.memory().numTensors).toBe(before + 2);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to grow past the context length', () => {
    const attention = new MultiHeadAttention({ dIn: 8, dOut: 8, contextLength: 4, dropout: 0, numHeads: 2 });
    const cache = new KVCache(1);
    attention.forward(tf.ones([1, 4, 8]), { cache: cache.layer(0) });
    expect(() => attention.forward(tf.ones([1, 1, 8]), { cache: cache.layer(0) })).toThrow(
      /Attention over 5 tokens exceeds the context length 4/,
    );
    expect(() => cache.layer(1)).toThrow(/KV cache has 1 layers, not 2/);
  });
});

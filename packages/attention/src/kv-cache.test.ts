import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { KVCache, LayerKVCache } from './kv-cache.js';
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

describe('KV cache with a window', () => {
  /** Keys (1, 1, T, 1) whose values are their positions. */
  const positions = (from: number, count: number) =>
    tf.tensor4d(
      Array.from({ length: count }, (_, i) => from + i),
      [1, 1, count, 1],
    );

  it('holds the window − 1 latest positions and says where the keys it returns start', async () => {
    const layer = new LayerKVCache({ window: 4 });
    // A prompt longer than the window attends over all of itself; only its last 3 positions stay.
    const first = layer.append(positions(0, 6), positions(0, 6));
    expect([first.start, first.keys.shape[2], layer.length, layer.heldLength]).toEqual([0, 6, 6, 3]);
    tf.dispose([first.keys, first.values]);
    for (let t = 6; t < 10; t++) {
      const { keys, values, start } = layer.append(positions(t, 1), positions(t, 1));
      expect(start).toBe(t - 3);
      expect(Array.from(await keys.data())).toEqual([t - 3, t - 2, t - 1, t]);
      expect(Array.from(await values.data())).toEqual([t - 3, t - 2, t - 1, t]);
      expect(layer.heldLength).toBe(3);
      tf.dispose([keys, values]);
    }
    expect(layer.length).toBe(10);
    layer.reset();
    expect([layer.length, layer.heldLength]).toEqual([0, 0]);
  });

  it('keeps only its own tensors alive, none with a window of one', () => {
    for (const [window, held] of [
      [2, 2],
      [1, 0],
    ] as const) {
      const layer = new LayerKVCache({ window });
      const before = tf.memory().numTensors;
      for (let t = 0; t < 5; t++) {
        const step = positions(t, 1);
        const { keys, values, start } = layer.append(step, step);
        expect(start).toBe(t - Math.min(t, window - 1));
        tf.dispose([step, keys, values]);
      }
      expect(tf.memory().numTensors).toBe(before + held);
      layer.reset();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses a bad window, windows for the wrong number of layers, and a window on full attention', () => {
    expect(() => new LayerKVCache({ window: 0 })).toThrow(/window must be a positive integer, got 0/);
    expect(() => new KVCache(2, { windows: [3] })).toThrow(/2 layers needs 2 windows, got 1/);
    const cache = new KVCache(2, { windows: [3, undefined] });
    expect([cache.layer(0).window, cache.layer(1).window]).toEqual([3, undefined]);
    const attention = new MultiHeadAttention({ dIn: 8, dOut: 8, contextLength: 8, dropout: 0, numHeads: 2 });
    expect(() => attention.forward(tf.ones([1, 1, 8]), { cache: cache.layer(0) })).toThrow(
      /give it a KV cache without a window/,
    );
  });
});

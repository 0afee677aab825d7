import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalMask, causalMask } from './mask.js';
import { MultiHeadAttention } from './multi-head-attention.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('CausalMask', () => {
  it('gives the rows of the full mask for any queries and offset', async () => {
    const mask = new CausalMask(100);
    const full = causalMask(100);
    for (const [queries, offset] of [
      [5, 0],
      [1, 7],
      [30, 70],
    ] as const) {
      const rows = mask.rows(queries, offset);
      expect(rows.shape).toEqual([queries, offset + queries]);
      expect(await rows.array()).toEqual(
        await tf.slice(full, [offset, 0], [queries, offset + queries]).array(),
      );
    }
    expect(() => mask.rows(10, 95)).toThrow(
      'Attention over 105 tokens exceeds the context length 100: crop the input to the last contextLength tokens',
    );
    mask.dispose();
  });

  it('lets a layer with a 40,000-token context attend over a few tokens without a context² mask', () => {
    const before = tf.memory().numBytes;
    const attention = new MultiHeadAttention({
      dIn: 8,
      dOut: 8,
      contextLength: 40_000,
      dropout: 0,
      numHeads: 2,
    });
    const output = attention.forward(tf.ones([1, 6, 8]));
    expect(output.shape).toEqual([1, 6, 8]);
    // The weights and a 64 × 64 mask, not 40,000² floats (6.4 GB).
    expect(tf.memory().numBytes - before).toBeLessThan(1_000_000);
    attention.dispose();
  });
});

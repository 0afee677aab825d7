import { initBackend } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionMask } from './attention-mask.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

/** The mask as rows of '.' (may look) and 'x' (blocked). */
async function picture(queries: number, offset: number, window?: number, firstKey = 0): Promise<string[]> {
  const mask = attentionMask(queries, offset, window, firstKey);
  const rows = (await mask.array()) as number[][];
  mask.dispose();
  return rows.map((row) => row.map((value) => (value === 0 ? '.' : 'x')).join(''));
}

describe('attentionMask', () => {
  it('blocks later keys', async () => {
    expect(await picture(3, 0)).toEqual(['.xx', '..x', '...']);
  });

  it('with a window of 2, each token sees itself and the one before', async () => {
    expect(await picture(4, 0, 2)).toEqual(['.xxx', '..xx', 'x..x', 'xx..']);
  });

  it('gives the rows of queries after cached keys', async () => {
    expect(await picture(2, 3, 3)).toEqual(['x...x', 'xx...']);
  });

  it('starts at the first key a windowed cache still holds', async () => {
    // Keys 2..4 of the rows above: the dropped keys 0 and 1 were blocked anyway.
    expect(await picture(2, 3, 3, 2)).toEqual(['..x', '...']);
  });
});

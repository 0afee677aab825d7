import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { describe, expect, it } from 'vitest';
import { bytePairEncode } from './merge.js';
import { parseTiktokenRanks } from './tiktoken-ranks.js';

const ranks = new Map(parseTiktokenRanks(gpt2Ranks.bpe_ranks).map((bytes, id) => [bytes, id]));

/** A small seeded generator (Park–Miller), so the pieces are the same on every run. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

describe('bytePairEncode', () => {
  it('gives the same ids through the scan and the heap on random pieces', () => {
    const random = lcg(42);
    const alphabet = 'aaeeiioottnnsrhl  ..,\n0123456789\xc3\xa9';
    for (let trial = 0; trial < 300; trial++) {
      const length = 1 + Math.floor(random() * 60);
      let piece = '';
      for (let i = 0; i < length; i++) piece += alphabet[Math.floor(random() * alphabet.length)];
      const scanned: number[] = [];
      const heaped: number[] = [];
      bytePairEncode(piece, ranks, scanned, Number.POSITIVE_INFINITY);
      bytePairEncode(piece, ranks, heaped, 0);
      expect(heaped, JSON.stringify(piece)).toEqual(scanned);
    }
  });

  it('merges the lowest rank first, the leftmost on ties', () => {
    const tiny = new Map([
      ['a', 0],
      ['b', 1],
      ['ab', 2],
      ['ba', 3],
      ['aba', 4],
    ]);
    for (const threshold of [0, Number.POSITIVE_INFINITY]) {
      const out: number[] = [];
      bytePairEncode('babab', tiny, out, threshold);
      // ab (rank 2) at 1, then ab at 3: b·ab·ab; nothing else joins.
      expect(out).toEqual([1, 2, 2]);
    }
  });
});

/**
 * The MT19937 port against NumPy's own draws (../fixtures/random-state/random-state.json, written by
 * tools/reference/make_fixtures.py with `np.random.RandomState`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RandomState } from './random-state.js';

interface SeedDraws {
  uint32: Record<string, number[]>;
  random_sample: number[];
  permutation_10: number[];
  permutation_then_sample: { permutation_5: number[]; then_random_sample: number };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/random-state/random-state.json', import.meta.url), 'utf8'),
) as { seeds: Record<string, SeedDraws>; choice_4825_747_seed_123: number[] };

describe.each(Object.entries(fixture.seeds))('RandomState(%s) against NumPy', (seed, draws) => {
  it('gives the same 32-bit outputs, across two regenerations of its state', () => {
    const state = new RandomState(Number(seed));
    const outputs = Array.from({ length: 1300 }, () => state.nextUint32());
    for (const [start, expected] of Object.entries(draws.uint32)) {
      expect(outputs.slice(Number(start), Number(start) + expected.length), `from ${start}`).toEqual(
        expected,
      );
    }
  });

  it('gives the same random_sample doubles, bit for bit', () => {
    const state = new RandomState(Number(seed));
    expect(draws.random_sample.map(() => state.randomSample())).toEqual(draws.random_sample);
  });

  it('permutes as NumPy does, and leaves the stream where NumPy leaves it', () => {
    expect(new RandomState(Number(seed)).permutation(10)).toEqual(draws.permutation_10);
    const state = new RandomState(Number(seed));
    expect(state.permutation(5)).toEqual(draws.permutation_then_sample.permutation_5);
    expect(state.randomSample()).toBe(draws.permutation_then_sample.then_random_sample);
  });
});

describe('RandomState', () => {
  it("reproduces choice(4825, 747, replace=False): the book's ham sample", () => {
    const sample = new RandomState(123).choice(4825, 747);
    expect(sample).toEqual(fixture.choice_4825_747_seed_123);
    expect(new Set(sample).size).toBe(747);
  });

  it('draws intervals within [0, max], both ends reachable', () => {
    const state = new RandomState(5);
    const seen = new Set(Array.from({ length: 400 }, () => state.interval(6)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(state.interval(0)).toBe(0);
  });

  it('refuses seeds and sizes NumPy refuses, naming the limit', () => {
    expect(() => new RandomState(-1)).toThrow(/integer in \[0, 2\^32 - 1\]/);
    expect(() => new RandomState(2 ** 32)).toThrow(/integer in \[0, 2\^32 - 1\]/);
    expect(() => new RandomState(1.5)).toThrow(/integer/);
    expect(() => new RandomState(1).choice(3, 4)).toThrow(/cannot take 4 distinct items from 3/);
  });
});

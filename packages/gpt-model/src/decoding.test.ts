import { Generator } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import {
  argmax,
  chooseToken,
  sampleIndex,
  softmaxWithTemperature,
  topK,
  topKFilter,
  topPFilter,
} from './decoding.js';

// The book's toy next-token logits over a nine-word vocabulary (chapter 5.3).
const vocabulary = ['closer', 'every', 'effort', 'forward', 'inches', 'moves', 'pizza', 'toward', 'you'];
const logits = [4.51, 0.89, -1.9, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79];
const round4 = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 10_000) / 10_000);

describe('decoding the book’s toy logits', () => {
  it('greedy picks "forward"', () => {
    expect(vocabulary[argmax(logits)]).toBe('forward');
    expect(vocabulary[chooseToken(logits, {}, () => new Generator())]).toBe('forward');
  });

  it('top-3 keeps 6.75, 6.28, 4.51 at 3, 7, 0', () => {
    expect(topK(logits, 3)).toEqual({ values: [6.75, 6.28, 4.51], indices: [3, 7, 0] });
  });

  it('top-3 then softmax gives [0.0615, 0, 0, 0.5775, 0, 0, 0, 0.3610, 0]', () => {
    const filtered = topKFilter(logits, 3);
    expect(Array.from(filtered).filter((v) => v === Number.NEGATIVE_INFINITY)).toHaveLength(6);
    expect(round4(softmaxWithTemperature(filtered))).toEqual([0.0615, 0, 0, 0.5775, 0, 0, 0, 0.361, 0]);
  });

  it('temperature 5 gives "pizza" probability 0.0430', () => {
    expect(softmaxWithTemperature(logits, 5)[vocabulary.indexOf('pizza')]!.toFixed(4)).toBe('0.0430');
    // A low temperature sharpens the distribution towards the greedy choice.
    expect(softmaxWithTemperature(logits, 0.1)[3]).toBeGreaterThan(0.99);
  });

  it('samples in proportion to the probabilities, reproducibly for a seed', () => {
    const probabilities = softmaxWithTemperature(logits, 1);
    const generator = new Generator(123);
    const counts = new Array(9).fill(0);
    for (let i = 0; i < 100_000; i++) counts[sampleIndex(probabilities, generator)]++;
    expect(
      maxAbsDiff(
        counts.map((count) => count / 100_000),
        probabilities,
      ),
    ).toBeLessThan(0.005);
    // Without a generator, the fallback one is used: the same fresh seed gives the same draw.
    const first = Array.from({ length: 20 }, () =>
      chooseToken(logits, { temperature: 1 }, () => new Generator(7)),
    );
    const draws = (seed: number) => {
      const g = new Generator(seed);
      return Array.from({ length: 20 }, () => chooseToken(logits, { temperature: 1, generator: g }, () => g));
    };
    expect(draws(5)).toEqual(draws(5));
    expect(new Set(first).size).toBe(1);
  });

  it('top-p keeps the smallest set reaching p, always the most likely token', () => {
    const probabilities = softmaxWithTemperature(logits);
    // forward 0.5721, toward 0.3576, closer 0.0609: 0.93 needs all three.
    expect(round4(probabilities)).toEqual([
      0.0609, 0.0016, 0.0001, 0.5721, 0.0034, 0.0001, 0.0001, 0.3576, 0.004,
    ]);
    const keep = (p: number) =>
      Array.from(topPFilter(logits, p))
        .map((v, i) => (v === Number.NEGATIVE_INFINITY ? -1 : i))
        .filter((i) => i >= 0);
    expect(keep(0.5)).toEqual([3]);
    expect(keep(0.9)).toEqual([3, 7]);
    expect(keep(0.93)).toEqual([0, 3, 7]);
    expect(keep(1)).toHaveLength(9);
    expect(() => topPFilter(logits, 0)).toThrow('top-p must be in (0, 1], got 0');
  });

  it('rejects a negative temperature and a non-positive k', () => {
    expect(() => chooseToken(logits, { temperature: -1 }, () => new Generator())).toThrow(
      'Temperature must be ≥ 0, got -1',
    );
    expect(() => topKFilter(logits, 0)).toThrow('top-k needs an integer k ≥ 1, got 0');
  });
});

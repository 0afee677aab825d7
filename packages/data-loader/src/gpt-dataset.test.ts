import { describe, expect, it } from 'vitest';
import { GPTDataset } from './gpt-dataset.js';

const ids = Int32Array.from({ length: 10 }, (_, i) => 100 + i);

describe('GPTDataset', () => {
  it('slides a window of maxLength by stride, the target one token later', () => {
    const dataset = new GPTDataset(ids, { maxLength: 4, stride: 2 });
    // starts 0, 2, 4 (4 + 4 < 10), not 6 (6 + 4 = 10)
    expect(dataset.length).toBe(3);
    expect([...dataset.get(2).input]).toEqual([104, 105, 106, 107]);
    expect([...dataset.get(2).target]).toEqual([105, 106, 107, 108]);
  });

  it('counts windows as the book does: starts below length − maxLength', () => {
    for (const [maxLength, stride] of [
      [1, 1],
      [3, 3],
      [4, 5],
      [9, 1],
      [2, 7],
    ] as const) {
      let expected = 0;
      for (let start = 0; start < ids.length - maxLength; start += stride) expected++;
      expect(new GPTDataset(ids, { maxLength, stride }).length).toBe(expected);
    }
  });

  it('accepts a number[] or any source with length and slice', () => {
    const source = { length: 10, slice: (start: number, end: number) => ids.slice(start, end) };
    const fromArray = new GPTDataset([...ids], { maxLength: 3, stride: 1 });
    const fromSource = new GPTDataset(source, { maxLength: 3, stride: 1 });
    expect(fromSource.get(6)).toEqual(fromArray.get(6));
  });

  it('explains bad options and a text too short for one window', () => {
    expect(() => new GPTDataset(ids, { maxLength: 10, stride: 1 })).toThrow(
      'GPTDataset: 10 tokens make no window of maxLength 10 (a window and its shifted target need 11); ' +
        'use a longer text or a smaller maxLength',
    );
    expect(() => new GPTDataset(ids, { maxLength: 0, stride: 1 })).toThrow(
      'GPTDataset: maxLength must be an integer ≥ 1, got 0',
    );
    expect(() => new GPTDataset(ids, { maxLength: 4, stride: 1.5 })).toThrow(
      'GPTDataset: stride must be an integer ≥ 1, got 1.5',
    );
    expect(() => new GPTDataset(ids, { maxLength: 4, stride: 2 }).get(3)).toThrow(
      'GPTDataset: window 3 does not exist; windows are 0 to 2',
    );
  });
});

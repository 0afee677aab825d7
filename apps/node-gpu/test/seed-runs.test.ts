/**
 * bench/seed-runs.mjs, what the end-to-end benchmarks share to run over seeds and kernel sets: the
 * flags read, the mean / minimum / maximum per group, and the README tables printed from them.
 */
import { describe, expect, it } from 'vitest';
import {
  formatRange,
  kernelList,
  markdownTable,
  meanStepSeconds,
  positiveFlag,
  seedList,
  seedsCell,
  stats,
  summarize,
} from '../bench/seed-runs.mjs';

describe('seedList', () => {
  it('is the base alone without --seeds, a count from the base, or the list given', () => {
    expect(seedList(undefined, 123)).toEqual([123]);
    expect(seedList('3', 123)).toEqual([123, 124, 125]);
    expect(seedList('7,1,40', 123)).toEqual([7, 1, 40]);
  });

  it('refuses a zero count, a repeated seed and anything that is not seeds, naming the flag', () => {
    expect(() => seedList('0', 123)).toThrow(
      '--seeds 0: give a count from 1 to 1000, or a list such as 1,2,3',
    );
    expect(() => seedList('1,1', 123)).toThrow('--seeds 1,1 names a seed twice');
    expect(() => seedList('1,-2', 123)).toThrow('--seeds 1,-2: give a count such as 5');
    expect(() => seedList('five', 123)).toThrow('--seeds five: give a count such as 5');
    expect(() => seedList('2', -1)).toThrow('--seed must be an integer ≥ 0, not -1');
  });
});

describe('positiveFlag', () => {
  it('reads a whole number of at least 1, and nothing where the flag is not given', () => {
    expect(positiveFlag('max-steps', '12')).toBe(12);
    expect(positiveFlag('max-steps', undefined)).toBeUndefined();
    for (const bad of ['0', '-3', '1.5', '2x', '']) {
      expect(() => positiveFlag('limit', bad)).toThrow(`--limit ${bad}: give a whole number, at least 1`);
    }
  });
});

describe('kernelList', () => {
  it("reads OpenBLAS's names in any case, and one pass with the backend's own pick without the flag", () => {
    expect(kernelList(undefined)).toEqual([undefined]);
    expect(kernelList('haswell,SKYLAKEX', ['SkylakeX', 'Haswell'])).toEqual(['Haswell', 'SkylakeX']);
  });

  it('refuses an unknown set, one the CPU cannot run, and a repeat', () => {
    expect(() => kernelList('sse9', ['Haswell'])).toThrow(
      "--kernels: 'sse9' is not one of SkylakeX, Haswell, Zen",
    );
    expect(() => kernelList('SkylakeX', ['Haswell', 'Zen'])).toThrow(
      '--kernels SkylakeX: this CPU lacks its instructions (it runs Haswell, Zen)',
    );
    expect(() => kernelList('zen,Zen', ['Zen'])).toThrow('--kernels zen,Zen names a kernel set twice');
  });
});

describe('meanStepSeconds', () => {
  it('times each step after the first from its tokens and rate, and gives none for a run with no step to time', () => {
    const steps = [
      { tokensSeen: 100, tokensPerSec: 50 },
      { tokensSeen: 300, tokensPerSec: 100 },
      { tokensSeen: 500, tokensPerSec: 50 },
    ];
    expect(meanStepSeconds(steps)).toEqual({ secondsPerStep: 3, timed: 2 });
    // A run resumed after its last step logs one step or none: no figure, not a zero.
    expect(meanStepSeconds(steps.slice(0, 1))).toEqual({ secondsPerStep: null, timed: 0 });
    expect(meanStepSeconds([])).toEqual({ secondsPerStep: null, timed: 0 });
  });
});

describe('stats and summarize', () => {
  it('gives the mean, minimum and maximum of the runs that have the figure', () => {
    const three = stats([90.33, 92.67, 95.33]);
    expect(three).toMatchObject({ min: 90.33, max: 95.33, runs: 3 });
    expect(three?.mean).toBeCloseTo(278.33 / 3, 12);
    expect(stats([2, null, 4])).toEqual({ mean: 3, min: 2, max: 4, runs: 2 });
    expect(stats([null, Number.NaN])).toBeNull();
  });

  it('groups runs by variant and kernel set, in the order they first appear, keeping the seeds', () => {
    const runs = [
      { variant: 'lora', kernels: 'SkylakeX', seed: 1, testAccuracy: 90 },
      { variant: 'all', kernels: 'SkylakeX', seed: 1, testAccuracy: 94 },
      { variant: 'lora', kernels: 'Haswell', seed: 1, testAccuracy: 92 },
      { variant: 'lora', kernels: 'SkylakeX', seed: 2, testAccuracy: 96 },
    ];
    const summary = summarize(runs, { keys: ['variant', 'kernels'], fields: ['testAccuracy', 'minutes'] });
    expect(summary).toEqual([
      {
        variant: 'lora',
        kernels: 'SkylakeX',
        seeds: [1, 2],
        testAccuracy: { mean: 93, min: 90, max: 96, runs: 2 },
        minutes: null,
      },
      {
        variant: 'all',
        kernels: 'SkylakeX',
        seeds: [1],
        testAccuracy: { mean: 94, min: 94, max: 94, runs: 1 },
        minutes: null,
      },
      {
        variant: 'lora',
        kernels: 'Haswell',
        seeds: [1],
        testAccuracy: { mean: 92, min: 92, max: 92, runs: 1 },
        minutes: null,
      },
    ]);
  });
});

describe('the README tables', () => {
  it('shows one run (or runs that agree to the digits shown) as its figure, several as the mean and the range, none as a dash', () => {
    expect(formatRange(stats([95.333]), { unit: '%' })).toBe('95.33%');
    expect(formatRange(stats([90.33, 92.67, 95.33]), { unit: '%' })).toBe('92.78% (90.33–95.33%)');
    expect(formatRange(stats([2.25, 2.35]), { digits: 1, unit: ' min' })).toBe('2.3 min (2.3–2.4 min)');
    expect(formatRange(stats([10.741, 10.744]))).toBe('10.74');
    expect(formatRange(null)).toBe('–');
  });

  it('names the seeds as a range when they follow each other, else as a list', () => {
    expect(seedsCell([123])).toBe('123');
    expect(seedsCell([123, 124, 125])).toBe('123–125');
    expect(seedsCell([1, 5])).toBe('1, 5');
  });

  it('lines up the columns of a Markdown table, and refuses a row of the wrong width', () => {
    expect(
      markdownTable(
        ['variant', 'test accuracy'],
        [
          ['adapted, LoRA', '92.78% (90.33–95.33%)'],
          ['random', '90.00%'],
        ],
      ),
    ).toBe(
      [
        '| variant       | test accuracy         |',
        '| ------------- | --------------------- |',
        '| adapted, LoRA | 92.78% (90.33–95.33%) |',
        '| random        | 90.00%                |',
      ].join('\n'),
    );
    expect(() => markdownTable(['a', 'b'], [['only one']])).toThrow('a table row has 1 cells for 2 columns');
    expect(markdownTable(['ended at `<|endoftext|>`'], [['100%']]).split('\n')).toEqual([
      '| ended at `<\\|endoftext\\|>` |',
      `| ${'-'.repeat(26)} |`,
      `| ${'100%'.padEnd(26)} |`,
    ]);
  });
});

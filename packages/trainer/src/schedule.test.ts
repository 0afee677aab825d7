import { describe, expect, it } from 'vitest';
import { type LrSchedule, lrAtStep } from './schedule.js';
import { loadFixture, maxRelDiff } from './test-support/fixtures.js';

/** Appendix D: 9 batches × 15 epochs, warmup floor(0.2 × 135). */
const appendixD: LrSchedule = {
  peakLr: 1e-3,
  initialLr: 1e-5,
  minLr: 1e-5,
  warmupSteps: 27,
  totalSteps: 135,
};

describe('lrAtStep: the appendix D figures', () => {
  it.each([
    [0, '0.00001000000'],
    [1, '0.00004666667'],
    [26, '0.0009633333'],
    [27, '0.001000000'],
    [28, '0.0009997906'],
    [80, '0.0005193969'],
    [134, '0.00001020941'],
  ])('lr(%i) = %s', (step, printed) => {
    const lr = lrAtStep(step, appendixD);
    expect(lr.toPrecision(7)).toBe(Number(printed).toPrecision(7));
  });

  it('rounds to the book printout: 1e-5, 4.6667e-5, 9.6333e-4, 1e-3, 9.99791e-4, 5.19397e-4, 1.02094e-5', () => {
    const rounded = [0, 1, 26, 27, 28, 80, 134].map((step, i) =>
      Number(lrAtStep(step, appendixD).toPrecision(i < 4 ? 5 : 6)),
    );
    expect(rounded).toEqual([1e-5, 4.6667e-5, 9.6333e-4, 1e-3, 9.99791e-4, 5.19397e-4, 1.02094e-5]);
  });

  it('reaches the peak exactly at the end of warmup and falls monotonically after', () => {
    expect(lrAtStep(27, appendixD)).toBe(1e-3);
    for (let step = 28; step < 135; step++) {
      expect(lrAtStep(step, appendixD)).toBeLessThan(lrAtStep(step - 1, appendixD));
    }
  });

  it('matches the fixture computed by the book loop in Python over all 135 steps', () => {
    const expected = loadFixture(
      new URL('../fixtures/schedule/schedule.safetensors', import.meta.url),
    ).values('lrs');
    const actual = Array.from({ length: 135 }, (_, step) => Math.fround(lrAtStep(step, appendixD)));
    expect(maxRelDiff(actual, expected, 0)).toBe(0);
  });
});

describe('lrAtStep: edges', () => {
  it('stays at minLr past totalSteps instead of climbing the cosine back', () => {
    expect(lrAtStep(135, appendixD)).toBeCloseTo(1e-5, 15);
    expect(lrAtStep(1000, appendixD)).toBeCloseTo(1e-5, 15);
  });

  it('starts at the peak without warmup, and defaults initialLr and minLr to 0', () => {
    expect(lrAtStep(0, { peakLr: 0.1, warmupSteps: 0, totalSteps: 10 })).toBe(0.1);
    expect(lrAtStep(10, { peakLr: 0.1, warmupSteps: 0, totalSteps: 10 })).toBe(0);
    expect(lrAtStep(0, { peakLr: 0.1, warmupSteps: 5, totalSteps: 10 })).toBe(0);
  });

  it('rejects schedules it cannot compute, naming the field', () => {
    expect(() => lrAtStep(0, { ...appendixD, totalSteps: 27 })).toThrow(
      'totalSteps must be an integer above warmupSteps (27), got 27: the cosine needs at least one step',
    );
    expect(() => lrAtStep(-1, appendixD)).toThrow('step must be an integer ≥ 0, got -1');
    expect(() => lrAtStep(0, { ...appendixD, peakLr: Number.NaN })).toThrow(
      'peakLr must be a finite number ≥ 0, got NaN',
    );
    expect(() => lrAtStep(0, { ...appendixD, warmupSteps: 2.5 })).toThrow(
      'warmupSteps must be an integer ≥ 0, got 2.5',
    );
  });
});

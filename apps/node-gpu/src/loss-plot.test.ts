import { describe, expect, it } from 'vitest';
import { lossPlotSvg } from './loss-plot.js';

describe('lossPlotSvg', () => {
  it('draws a run of 200,000 steps (a spread of that many losses overflows the stack)', () => {
    const steps = Array.from({ length: 200_000 }, (_, i) => ({
      step: i + 1,
      tokensSeen: (i + 1) * 512,
      loss: 10 / Math.sqrt(i + 1),
      lr: 4e-4,
    }));
    const evals = [{ step: 200_000, tokensSeen: 200_000 * 512, trainLoss: 0.03, valLoss: 0.05 }];
    const svg = lossPlotSvg(steps, evals);
    expect(svg).toMatch(/^<svg /);
    // At most about 2,000 points of the step curve, whatever the length of the run.
    const curve = /<path d="([^"]+)" fill="none" stroke="#93c5fd"/.exec(svg)![1]!;
    expect(curve.split(' ').length).toBeLessThanOrEqual(2_001);
    expect(svg).toContain('>100M</text>'); // tokens seen (102.4M in all), on the top axis
  });

  it('draws an empty history', () => {
    expect(lossPlotSvg([], [])).toMatch(/<\/svg>\n$/);
  });
});

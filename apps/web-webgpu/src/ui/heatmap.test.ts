import { describe, expect, it } from 'vitest';
import { heatmapMarkup, shade } from './heatmap.js';

describe('heatmapMarkup', () => {
  const tokens = ['Every', ' effort', ' <moves>'];
  const weights = [1, 0, 0, 0.25, 0.75, 0, 0.2, 0.3, 0.5];

  it('draws the lower triangle as weighted cells and the rest as the causal mask', () => {
    const { markup } = heatmapMarkup(tokens, weights);
    const cells = [...markup.matchAll(/class="cell"[^>]*data-weight="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cells).toEqual([1, 0.25, 0.75, 0.2, 0.3, 0.5]);
    expect(markup.match(/class="masked"/g)).toHaveLength(3);
  });

  it('labels rows and columns with the tokens, spaces kept and markup escaped', () => {
    const { markup } = heatmapMarkup(tokens, weights);
    const rows = [...markup.matchAll(/class="row-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(rows).toEqual(['Every', ' effort', ' &#60;moves&#62;']);
    expect(markup.match(/class="col-label"/g)).toHaveLength(3);
    expect(markup).toContain('<title> effort → Every: 0.250</title>');
  });

  it('sizes the drawing to the tokens', () => {
    const small = heatmapMarkup(['a'], [1]);
    const large = heatmapMarkup(tokens, weights);
    expect(large.width).toBeGreaterThan(small.width);
    expect(large.viewBox).toBe(`0 0 ${large.width} ${large.height}`);
  });

  it('refuses weights that do not match the tokens', () => {
    expect(() => heatmapMarkup(tokens, [1, 0])).toThrow('heatmapMarkup: 3 tokens need 9 weights, got 2');
  });
});

describe('shade', () => {
  it('runs from near white at 0 to deep blue at 1, clamped', () => {
    expect(shade(0)).toBe('hsl(217 85% 97%)');
    expect(shade(1)).toBe('hsl(217 85% 30%)');
    expect(shade(2)).toBe(shade(1));
  });
});

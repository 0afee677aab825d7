/**
 * The book's loss plot as a standalone SVG: training and validation loss against steps, with tokens
 * seen on a second axis along the top. No dependencies; readable in any browser.
 */
import type { EvalRecord, StepRecord } from '@scratchgpt/trainer';

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { left: 64, right: 24, top: 56, bottom: 56 };

/** 3-6 round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    ticks.push(Number(value.toPrecision(12)));
  }
  return ticks;
}

function compact(value: number): string {
  if (value >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The plot draws at most this many step losses: a line no wider than the plot needs no more. */
const MAX_POINTS = 2000;

export function lossPlotSvg(allSteps: StepRecord[], evals: EvalRecord[], title = 'Training loss'): string {
  const steps = thin(allSteps, MAX_POINTS);
  const lastStep = Math.max(1, allSteps.at(-1)?.step ?? 1, evals.at(-1)?.step ?? 1);
  // A loop, not Math.min(...losses): spreading a long run's losses overflows the stack.
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const loss of [
    ...steps.map((s) => s.loss),
    ...evals.flatMap((e) => (e.valLoss == null ? [e.trainLoss] : [e.trainLoss, e.valLoss])),
  ]) {
    if (!Number.isFinite(loss)) continue;
    low = Math.min(low, loss);
    high = Math.max(high, loss);
  }
  if (low > high) [low, high] = [0, 1];
  const yTicks = niceTicks(Math.max(0, low - 0.05 * (high - low)), high + 0.05 * (high - low));
  const yMin = Math.min(yTicks[0] ?? 0, low);
  const yMax = Math.max(yTicks.at(-1) ?? 1, high);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (step: number) => MARGIN.left + (step / lastStep) * plotWidth;
  const y = (loss: number) => MARGIN.top + (1 - (loss - yMin) / (yMax - yMin || 1)) * plotHeight;
  const path = (points: Array<[number, number]>) =>
    points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');

  const tokensAt = [...steps, ...evals, ...allSteps.slice(-1)].reduce(
    (max, r) => Math.max(max, r.tokensSeen),
    0,
  );
  const tokensPerStep = tokensAt / lastStep;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
  ];
  for (const tick of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end" fill="#374151">${compact(tick)}</text>`,
    );
  }
  for (const tick of niceTicks(0, lastStep, 6).filter((t) => Number.isInteger(t))) {
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 5}" stroke="#374151"/>`,
      `<text x="${x(tick)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle" fill="#374151">${tick}</text>`,
    );
  }
  if (tokensPerStep > 0) {
    for (const tick of niceTicks(0, tokensAt, 5)) {
      const at = x(tick / tokensPerStep);
      parts.push(
        `<line x1="${at}" x2="${at}" y1="${MARGIN.top}" y2="${MARGIN.top - 5}" stroke="#374151"/>`,
        `<text x="${at}" y="${MARGIN.top - 9}" text-anchor="middle" fill="#374151">${compact(tick)}</text>`,
      );
    }
    parts.push(
      `<text x="${WIDTH / 2}" y="${MARGIN.top - 26}" text-anchor="middle" fill="#111827">Tokens seen</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#374151"/>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="#111827">Step</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#111827">Loss</text>`,
  );
  if (steps.length > 0) {
    parts.push(
      `<path d="${path(steps.map((s) => [x(s.step), y(s.loss)]))}" fill="none" stroke="#93c5fd" stroke-width="1"/>`,
    );
  }
  const series: Array<[string, string, Array<[number, number]>]> = [
    ['Training loss', '#1d4ed8', evals.map((e) => [x(e.step), y(e.trainLoss)])],
    [
      'Validation loss',
      '#dc2626',
      evals.filter((e) => e.valLoss != null).map((e) => [x(e.step), y(e.valLoss as number)]),
    ],
  ];
  for (const [, color, points] of series) {
    if (points.length === 0) continue;
    parts.push(`<path d="${path(points)}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [px, py] of points)
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="2.5" fill="${color}"/>`);
  }
  const legendX = WIDTH - MARGIN.right - 170;
  series.forEach(([label, color], i) => {
    const legendY = MARGIN.top + 16 + i * 18;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${legendX + 28}" y="${legendY}" fill="#111827">${label}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Every k-th record (and the last), so at most about `max` remain. */
function thin(records: StepRecord[], max: number): StepRecord[] {
  if (records.length <= max) return records;
  const every = Math.ceil(records.length / max);
  const kept = records.filter((_, i) => i % every === 0);
  if (kept.at(-1) !== records.at(-1)) kept.push(records.at(-1)!);
  return kept;
}

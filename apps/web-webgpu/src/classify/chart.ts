/**
 * The classify mode's live chart (uPlot): the loss at every step and at each evaluation, and the
 * training and validation accuracy of each evaluation on a second axis, against steps.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const height = 240;

export interface EvaluationPoint {
  step: number;
  valLoss: number | null;
  trainAccuracy: number;
  valAccuracy: number | null;
}

export class ClassifyChart {
  /** steps, step loss, validation loss, training accuracy, validation accuracy */
  readonly #columns: [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]] =
    [[], [], [], [], []];
  readonly #plot: uPlot;
  #drawPending = false;

  constructor(container: HTMLElement) {
    const percent = (_: uPlot, value: number | null) =>
      value == null ? '–' : `${(value * 100).toFixed(1)}%`;
    const loss = (_: uPlot, value: number | null) => (value == null ? '–' : value.toFixed(3));
    const points = (fill: string) => ({ show: true, size: 6, fill });
    this.#plot = new uPlot(
      {
        width: Math.max(240, container.clientWidth),
        height,
        scales: { x: { time: false }, accuracy: { range: [0, 1] } },
        axes: [
          { label: 'step', stroke: '#475569', grid: { stroke: '#e2e8f0' } },
          { label: 'loss', stroke: '#475569', grid: { stroke: '#e2e8f0' }, size: 48 },
          {
            scale: 'accuracy',
            side: 1,
            label: 'accuracy',
            stroke: '#475569',
            grid: { show: false },
            size: 48,
            values: (_, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`),
          },
        ],
        series: [
          { label: 'step' },
          { label: 'train loss', stroke: '#2563eb', width: 1.5, value: loss },
          {
            label: 'validation loss',
            stroke: '#dc2626',
            width: 2,
            spanGaps: true,
            points: points('#dc2626'),
            value: loss,
          },
          {
            label: 'train accuracy',
            scale: 'accuracy',
            stroke: '#16a34a',
            width: 1.5,
            dash: [4, 4],
            spanGaps: true,
            points: points('#16a34a'),
            value: percent,
          },
          {
            label: 'validation accuracy',
            scale: 'accuracy',
            stroke: '#9333ea',
            width: 2,
            spanGaps: true,
            points: points('#9333ea'),
            value: percent,
          },
        ],
        legend: { live: false },
      },
      [[], [], [], [], []],
      container,
    );
    new ResizeObserver(() =>
      this.#plot.setSize({ width: Math.max(240, container.clientWidth), height }),
    ).observe(container);
  }

  reset(): void {
    for (const column of this.#columns) column.length = 0;
    this.#scheduleDraw();
  }

  addStep(step: number, loss: number): void {
    this.#columns[1][this.#rowOf(step)] = loss;
    this.#scheduleDraw();
  }

  addEvaluation(point: EvaluationPoint): void {
    const row = this.#rowOf(point.step);
    this.#columns[2][row] = point.valLoss;
    this.#columns[3][row] = point.trainAccuracy;
    this.#columns[4][row] = point.valAccuracy;
    this.#scheduleDraw();
  }

  /** The row of `step`: evaluations follow their step, so they share its row; else a new last row. */
  #rowOf(step: number): number {
    const [steps, ...values] = this.#columns;
    const row = steps.lastIndexOf(step);
    if (row >= 0) return row;
    for (const column of values) column.push(null);
    return steps.push(step) - 1;
  }

  #scheduleDraw(): void {
    if (this.#drawPending) return;
    this.#drawPending = true;
    requestAnimationFrame(() => {
      this.#drawPending = false;
      this.#plot.setData(this.#columns);
      if (this.#columns[0].length === 0) this.#plot.setScale('x', { min: 0, max: 10 });
    });
  }
}

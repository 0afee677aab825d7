/**
 * The live loss chart (uPlot): training loss at every step and validation loss at each evaluation,
 * against steps, as the book's chapter 5 plots them (or two other curves, such as DPO's reward
 * margins). Redraws at most once a frame.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const height = 260;

/** What the axis and the two series are called: losses by default, or another pair of curves. */
export interface ChartLabels {
  value: string;
  train: string;
  validation: string;
}

const lossLabels: ChartLabels = { value: 'loss', train: 'train loss', validation: 'validation loss' };

export class LossChart {
  readonly #steps: number[] = [];
  readonly #train: (number | null)[] = [];
  readonly #validation: (number | null)[] = [];
  readonly #plot: uPlot;
  readonly #container: HTMLElement;
  #drawPending = false;

  constructor(container: HTMLElement, labels: ChartLabels = lossLabels) {
    this.#container = container;
    const options: uPlot.Options = {
      width: Math.max(240, container.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [
        { label: 'step', stroke: '#475569', grid: { stroke: '#e2e8f0' } },
        { label: labels.value, stroke: '#475569', grid: { stroke: '#e2e8f0' }, size: 48 },
      ],
      series: [
        { label: 'step' },
        { label: labels.train, stroke: '#2563eb', width: 1.5, value: (_, v) => format(v) },
        {
          label: labels.validation,
          stroke: '#dc2626',
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6, fill: '#dc2626' },
          value: (_, v) => format(v),
        },
      ],
      legend: { live: false },
    };
    this.#plot = new uPlot(options, [[], [], []], container);
    new ResizeObserver(() => {
      this.#plot.setSize({ width: Math.max(240, container.clientWidth), height });
    }).observe(container);
  }

  /** Forgets every point (a new model starts its own curve). */
  reset(): void {
    this.#steps.length = 0;
    this.#train.length = 0;
    this.#validation.length = 0;
    this.#scheduleDraw();
  }

  addStep(step: number, loss: number): void {
    this.#steps.push(step);
    this.#train.push(loss);
    this.#validation.push(null);
    this.#scheduleDraw();
  }

  /** Evaluations follow their step, so their point goes on that step's x. */
  addEvaluation(step: number, validationLoss: number | null): void {
    if (validationLoss == null) return;
    const index = this.#steps.lastIndexOf(step);
    if (index >= 0) {
      this.#validation[index] = validationLoss;
    } else {
      this.#steps.push(step);
      this.#train.push(null);
      this.#validation.push(validationLoss);
    }
    this.#scheduleDraw();
  }

  #scheduleDraw(): void {
    if (this.#drawPending) return;
    this.#drawPending = true;
    requestAnimationFrame(() => {
      this.#drawPending = false;
      this.#plot.setData([this.#steps, this.#train, this.#validation]);
      // The steps drawn, for scripts and tests: a canvas does not say what it shows.
      this.#container.dataset.points = String(this.#steps.length);
      // With no points uPlot keeps the last ranges: show an empty frame instead of an old axis.
      if (this.#steps.length === 0) this.#plot.setScale('x', { min: 0, max: 10 });
    });
  }
}

function format(value: number | null): string {
  return value == null ? '–' : value.toFixed(3);
}

/**
 * A one-line progress bar on a terminal (stderr): step, loss, tokens/s and time left. Redrawn in
 * place; off when stderr is not a terminal.
 */
export interface ProgressState {
  step: number;
  totalSteps: number;
  loss: number;
  tokensPerSec: number;
  /** Steps done in this process and the seconds they took, for the time estimate. */
  stepsThisRun: number;
  secondsThisRun: number;
  /** With loss scaling (--precision f16): the scale, and the steps skipped so far in this process. */
  lossScale?: number;
  skippedSteps?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(state: ProgressState, width = 24): string {
  const fraction = Math.min(1, state.step / Math.max(1, state.totalSteps));
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const perStep = state.secondsThisRun / Math.max(1, state.stepsThisRun);
  const eta = formatDuration((state.totalSteps - state.step) * perStep);
  const speed = Math.round(state.tokensPerSec).toLocaleString('en-US');
  const scaling =
    state.lossScale === undefined ? '' : ` | scale ${state.lossScale}, ${state.skippedSteps ?? 0} skipped`;
  return `step ${state.step}/${state.totalSteps} ${bar} loss ${state.loss.toFixed(3)}${scaling} | ${speed} tok/s | ETA ${eta}`;
}

export class ProgressBar {
  #active = false;

  constructor(private readonly enabled: boolean) {}

  update(state: ProgressState): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[2K${progressLine(state)}`);
    this.#active = true;
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    if (this.#active) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (this.#active) process.stderr.write('\n');
    this.#active = false;
  }
}

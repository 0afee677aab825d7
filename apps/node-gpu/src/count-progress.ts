/**
 * A one-line progress bar for work counted in items (responses written, answers judged): done of
 * total and the time left, redrawn in place on a terminal (stderr), silent elsewhere.
 */
import { formatDuration } from './progress.js';

export class CountProgress {
  readonly #enabled: boolean;
  readonly #label: string;
  readonly #started = performance.now();
  #active = false;

  constructor(enabled: boolean, label: string) {
    this.#enabled = enabled;
    this.#label = label;
  }

  update(done: number, total: number, detail = ''): void {
    if (!this.#enabled) return;
    const width = 24;
    const filled = Math.round((Math.min(done, total) / Math.max(total, 1)) * width);
    const perItem = (performance.now() - this.#started) / 1000 / Math.max(done, 1);
    const eta = done === 0 ? '?' : formatDuration((total - done) * perItem);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    process.stderr.write(
      `\r\x1b[2K${this.#label} ${done}/${total} ${bar} ETA ${eta}${detail ? ` | ${detail}` : ''}`,
    );
    this.#active = true;
  }

  done(): void {
    if (this.#active) process.stderr.write('\n');
    this.#active = false;
  }
}

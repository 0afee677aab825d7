/**
 * A one-line download bar on a terminal (stderr): the file, bytes so far of its size, speed and time
 * left. Redrawn at most ten times a second; off when stderr is not a terminal.
 */
import type { DownloadProgress } from '@scratchgpt/hub';
import { formatDuration } from './progress.js';

export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** `model.safetensors ████░░░░ 312.4 MB / 548.1 MB 57% · 11.2 MB/s · ETA 21s` */
export function downloadLine(progress: DownloadProgress, bytesPerSecond: number, width = 20): string {
  const fraction = progress.total > 0 ? Math.min(1, progress.loaded / progress.total) : 1;
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const remaining = progress.total - progress.loaded;
  const left = remaining <= 0 ? 0 : bytesPerSecond > 0 ? remaining / bytesPerSecond : Number.NaN;
  return (
    `${progress.file} ${bar} ${formatBytes(progress.loaded)} / ${formatBytes(progress.total)} ` +
    `${Math.floor(fraction * 100)}% · ${formatBytes(bytesPerSecond)}/s · ETA ${formatDuration(left)}`
  );
}

export class DownloadBar {
  #file: string | undefined;
  /** Where this file's transfer started (a resumed download starts part-way) and when. */
  #start = { bytes: 0, at: 0 };
  #drawnAt = 0;
  #active = false;

  constructor(private readonly enabled: boolean) {}

  readonly update = (progress: DownloadProgress): void => {
    if (!this.enabled) return;
    const now = performance.now();
    if (progress.file !== this.#file) {
      this.done();
      this.#file = progress.file;
      this.#start = { bytes: progress.loaded, at: now };
    }
    const finished = progress.loaded >= progress.total;
    if (!finished && now - this.#drawnAt < 100) return;
    this.#drawnAt = now;
    const seconds = (now - this.#start.at) / 1000;
    const speed = seconds > 0 ? (progress.loaded - this.#start.bytes) / seconds : 0;
    process.stderr.write(`\r\x1b[2K${downloadLine(progress, speed)}`);
    this.#active = true;
  };

  done(): void {
    if (this.#active) process.stderr.write('\n');
    this.#active = false;
  }
}

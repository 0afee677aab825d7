/**
 * One generation at a time: the model's weights and the backend are shared, and tokens come faster one
 * request after another than interleaved. Requests wait in turn up to a bound; past it they are
 * refused at once (503, Retry-After) instead of piling up. A request whose client left stops waiting.
 */
import { ApiError } from './api-error.js';

interface Waiting {
  start: () => void;
  cancel: () => void;
}

export class GenerationQueue {
  readonly limit: number;
  #running = 0;
  #waiting: Waiting[] = [];
  #closed = false;
  #idle: Array<() => void> = [];

  /** `limit`: how many requests may wait while one runs. */
  constructor(limit: number) {
    this.limit = limit;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when its turn comes. Refused with 503 when the queue is full or closed; rejected with
   * the signal's reason when it aborts before its turn.
   */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.#closed) throw new ApiError(503, 'The server is shutting down', { code: 'shutting_down' });
    if (signal.aborted) throw signal.reason;
    if (this.#running > 0 || this.#waiting.length > 0) {
      if (this.#waiting.length >= this.limit) {
        throw new ApiError(
          503,
          `The server is busy: ${this.#waiting.length} requests are waiting already; try again shortly`,
          { code: 'queue_full', headers: { 'retry-after': '1' } },
        );
      }
      await this.#turn(signal);
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      this.#running--;
      this.#next();
    }
  }

  /** Refuses new requests and those still waiting; resolves once the running one has finished. */
  close(): Promise<void> {
    this.#closed = true;
    for (const waiting of this.#waiting.splice(0)) waiting.cancel();
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #turn(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry: Waiting = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          // Counted as running now, so no request arriving before this one resumes can overtake it.
          this.#running++;
          resolve();
        },
        cancel: () => {
          signal.removeEventListener('abort', onAbort);
          reject(new ApiError(503, 'The server is shutting down', { code: 'shutting_down' }));
        },
      };
      const onAbort = () => {
        this.#waiting = this.#waiting.filter((other) => other !== entry);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #next(): void {
    const next = this.#waiting.shift();
    if (next) next.start();
    else for (const resolve of this.#idle.splice(0)) resolve();
  }
}

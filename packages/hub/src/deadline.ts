/**
 * A request's deadline: an abort signal that fires when the server stays silent for `ms` (no answer,
 * or no bytes of the body), or when the caller's own signal fires. Each chunk received restarts it.
 */

/** What a deadline aborts with, so a silent server is told apart from the caller's own abort. */
export class DeadlineExpired extends Error {
  override name = 'DeadlineExpired';

  constructor(readonly ms: number) {
    super(`no answer for ${formatSeconds(ms)}`);
  }
}

export class Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly ms: number,
    outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    outer?.addEventListener('abort', () => this.controller.abort(outer.reason), { once: true });
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether it was the server's silence that ended the request. */
  get expired(): boolean {
    return this.controller.signal.reason instanceof DeadlineExpired;
  }

  restart(): void {
    this.clear();
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExpired(this.ms)), this.ms);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * One JSON POST with a timeout per attempt and retries with exponential backoff: a timeout, a
 * dropped connection, HTTP 429 or 5xx, or a reply cut short are tried again; a refused connection,
 * an unknown host or any other status fail at once, since trying again would not change them.
 */
import { IncompleteReplyError, JudgeError, oneLine } from './errors.js';
import { replyStart } from './reply-body.js';

/** The longest delay Node's timers hold: a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** The longest wait between attempts, as for a server's `Retry-After`. */
export const MAX_BACKOFF_MS = 60_000;

export interface RequestPolicy {
  /** Milliseconds one attempt may take, reply included (default 120,000; at most 2^31 - 1). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** The first wait between attempts, doubled each time up to a minute (default 1,000 ms). */
  backoffMs?: number;
  signal?: AbortSignal;
  /** Replaces the global `fetch` (tests, proxies). */
  fetch?: typeof fetch;
}

/** An HTTP status the caller turns into its own message (404: the model is missing). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Refuses settings the timers cannot keep, when the client is made rather than at its first request. */
export function checkRequestPolicy(policy: RequestPolicy): void {
  const { timeoutMs, retries, backoffMs } = policy;
  if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new RangeError(
      `the judge timeout must be more than 0 and at most ${MAX_TIMEOUT_MS} ms (about 24.8 days), got ${timeoutMs}`,
    );
  }
  if (retries !== undefined && !(Number.isSafeInteger(retries) && retries >= 0))
    throw new RangeError(`the judge's retries must be an integer from 0, got ${retries}`);
  if (backoffMs !== undefined && !(backoffMs >= 0 && backoffMs <= MAX_BACKOFF_MS))
    throw new RangeError(`the judge's backoff must be from 0 to ${MAX_BACKOFF_MS} ms, got ${backoffMs}`);
}

/** One JSON request and how its answer is read. */
export interface JsonPost<T> {
  url: string;
  /** Sent as JSON. */
  body: unknown;
  /** Beside `content-type: application/json` (an `authorization`, say). */
  headers?: Record<string, string>;
  /** A 2xx response to the answer; throws `IncompleteReplyError` for a reply cut short (tried again). */
  read: (response: Response) => Promise<T>;
  /** A status that is neither 2xx nor tried again (404, 401, …) to the error thrown. */
  onStatus: (error: HttpStatusError) => JudgeError;
}

/**
 * POSTs `post.body` to `post.url` and hands the response to `post.read`, trying again as `policy`
 * allows. Statuses other than 2xx that are not tried again reach `post.onStatus`.
 */
export async function postJson<T>(post: JsonPost<T>, policy: RequestPolicy = {}): Promise<T> {
  const { url, body, headers = {}, read, onStatus } = post;
  const timeoutMs = policy.timeoutMs ?? 120_000;
  const retries = policy.retries ?? 3;
  const backoffMs = policy.backoffMs ?? 1_000;
  const send = policy.fetch ?? fetch;
  let lastProblem = '';
  for (let attempt = 1; ; attempt++) {
    if (policy.signal?.aborted)
      throw new JudgeError('aborted', `stopped before ${url} answered`, attempt - 1);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = policy.signal ? AbortSignal.any([policy.signal, timeout.signal]) : timeout.signal;
    let retryAfterMs: number | undefined;
    try {
      const response = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      });
      if (!response.ok) {
        const text = await replyStart(response);
        const error = new HttpStatusError(response.status, text);
        if (!retryable(response.status)) throw onStatus(error);
        lastProblem = `answered HTTP ${response.status}${snippet(text)}`;
        retryAfterMs = retryAfter(response.headers.get('retry-after'));
      } else {
        return await read(response);
      }
    } catch (error) {
      if (error instanceof JudgeError) throw error;
      if (policy.signal?.aborted) throw new JudgeError('aborted', `stopped before ${url} answered`, attempt);
      if (timeout.signal.aborted) {
        lastProblem = `did not answer within ${formatSeconds(timeoutMs)}`;
      } else if (error instanceof IncompleteReplyError) {
        lastProblem = error.message;
      } else {
        const code = networkCode(error);
        if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
          const why = code === 'ECONNREFUSED' ? 'connection refused' : 'no such host';
          throw new JudgeError(
            'unreachable',
            `cannot reach ${url}: ${why} (is the server running?)`,
            attempt,
          );
        }
        lastProblem = `failed (${code ?? (error as Error).message})`;
      }
    } finally {
      clearTimeout(timer);
    }
    if (attempt > retries) {
      const failure = lastProblem.startsWith('did not answer') ? 'timeout' : 'server';
      const tries = attempt === 1 ? 'once' : `${attempt} times`;
      throw new JudgeError(failure, `${url} ${lastProblem}; tried ${tries}`, attempt);
    }
    await sleep(retryAfterMs ?? retryDelay(attempt, backoffMs), policy.signal);
  }
}

/** The wait after attempt `attempt` (from 1): `backoffMs`, doubled after each attempt, at most a minute. */
export function retryDelay(attempt: number, backoffMs: number): number {
  return Math.min(backoffMs * 2 ** Math.min(attempt - 1, 52), MAX_BACKOFF_MS);
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` in seconds, capped at a minute; dates and nonsense are ignored. */
function retryAfter(header: string | null): number | undefined {
  if (header == null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header) * 1000, 60_000);
}

/** The error code of a failed fetch: undici puts it on `cause`, or on each error of an aggregate. */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
  return cause?.code ?? cause?.errors?.find((e) => e.code)?.code;
}

/** A reply's text as ` (text)` for a message, or nothing. */
export function snippet(text: string): string {
  const line = oneLine(text);
  return line === '' ? '' : ` (${line})`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * A file's bytes from the Hub, from any offset: a GET with `Range: bytes=N-` after an interruption.
 * Redirects to the CDN are followed by fetch, which drops the Authorization header when the redirect
 * leaves the Hub's origin (the CDN's signed URLs must not carry it).
 */
import { Deadline, formatSeconds } from './deadline.js';
import { authorization } from './endpoint.js';
import { HubError } from './errors.js';
import { type RequestSubject, refusal, unreachable } from './http-errors.js';

/** How long the Hub may stay silent: before it answers, and between two chunks of a body. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface DownloadProgress {
  /** The file's path in the repository. */
  file: string;
  /** Bytes the file has so far, a resumed part included. */
  loaded: number;
  /** The file's size. */
  total: number;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

export interface TransferOptions {
  token?: string | undefined;
  fetch?: typeof fetch | undefined;
  signal?: AbortSignal | undefined;
  /** The longest silence allowed, before the answer and within the body (default 10 s). */
  timeoutMs?: number | undefined;
}

export interface OpenedBody {
  body: ReadableStream<Uint8Array>;
  /** The offset the body starts at: the one asked for, or 0 when the server sent the whole file. */
  start: number;
  /** Restarted by every chunk `chunksOf` reads; the body fails when it expires. */
  deadline: Deadline;
}

export async function openBody(
  url: string,
  offset: number,
  subject: RequestSubject,
  options: TransferOptions,
): Promise<OpenedBody> {
  const deadline = new Deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal);
  const response = await request({ url, offset, subject, deadline }, options);
  const refuse = async (error: HubError) => {
    deadline.clear();
    await response.body?.cancel();
    return error;
  };
  if (response.status === 416 && offset > 0) {
    // The partial copy is not a prefix of this file (it is as long or longer): start over.
    await refuse(new HubError('http', 'range not satisfiable'));
    return openBody(url, 0, subject, options);
  }
  if (!response.ok) throw await refuse(refusal(response, subject));
  if (response.body == null)
    throw await refuse(new HubError('http', `the Hub sent no body for ${subject.path}`));
  if (response.status !== 206) return { body: response.body, start: 0, deadline };
  const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]);
  if (start !== offset) {
    throw await refuse(
      new HubError(
        'http',
        `the Hub sent ${subject.path} from byte ${start} when asked for byte ${offset}: try again`,
      ),
    );
  }
  return { body: response.body, start, deadline };
}

/** One GET of `url` from byte `offset`, within `deadline`. */
async function request(
  {
    url,
    offset,
    subject,
    deadline,
  }: { url: string; offset: number; subject: RequestSubject; deadline: Deadline },
  options: TransferOptions,
): Promise<Response> {
  const headers: Record<string, string> = { ...authorization(options.token) };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  try {
    return await (options.fetch ?? fetch)(url, { headers, redirect: 'follow', signal: deadline.signal });
  } catch (error) {
    deadline.clear();
    if (options.signal?.aborted) throw error;
    throw deadline.expired ? silent(subject, deadline.ms) : unreachable(error, subject);
  }
}

/** A server that accepted the request but never answered it. */
export function silent(subject: RequestSubject, ms: number): HubError {
  return new HubError(
    'network',
    `${subject.endpoint} did not answer for ${subject.path} of ${subject.id} within ${formatSeconds(ms)}: check the network connection, or allow longer with ${subject.timeoutSetting ?? 'HF_HUB_DOWNLOAD_TIMEOUT'}`,
  );
}

/** The message for a body that ended early, which a later attempt resumes. */
export function cutOff(subject: RequestSubject, received: number, total: number, cause: unknown): HubError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new HubError(
    'network',
    `the download of ${subject.path} from ${subject.id} stopped at ${received} of ${total} bytes${why}: run again to resume it`,
  );
}

/**
 * A body's chunks with a reader, which every browser has (async iteration of streams is newer). Each
 * chunk restarts the deadline; a body that stays silent longer fails with the deadline's reason.
 */
export async function* chunksOf({
  body,
  deadline,
}: Pick<OpenedBody, 'body' | 'deadline'>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      deadline.restart();
      yield value;
    }
  } finally {
    deadline.clear();
    reader.releaseLock();
  }
}

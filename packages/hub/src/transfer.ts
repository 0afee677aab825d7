/**
 * A file's bytes from the Hub, from any offset: a GET with `Range: bytes=N-` after an interruption.
 * Redirects to the CDN are followed by fetch, which drops the Authorization header when the redirect
 * leaves the Hub's origin (the CDN's signed URLs must not carry it).
 */
import { authorization } from './endpoint.js';
import { HubError } from './errors.js';
import { type RequestSubject, refusal, unreachable } from './http-errors.js';

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
}

export interface OpenedBody {
  body: ReadableStream<Uint8Array>;
  /** The offset the body starts at: the one asked for, or 0 when the server sent the whole file. */
  start: number;
}

export async function openBody(
  url: string,
  offset: number,
  subject: RequestSubject,
  options: TransferOptions,
): Promise<OpenedBody> {
  const response = await request(url, offset, subject, options);
  if (response.status === 416 && offset > 0) {
    // The partial copy is not a prefix of this file (it is as long or longer): start over.
    await response.body?.cancel();
    return openBody(url, 0, subject, options);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw refusal(response, subject);
  }
  if (response.body == null) throw new HubError('http', `the Hub sent no body for ${subject.path}`);
  if (response.status !== 206) return { body: response.body, start: 0 };
  const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]);
  if (start !== offset) {
    await response.body.cancel();
    throw new HubError(
      'http',
      `the Hub sent ${subject.path} from byte ${start} when asked for byte ${offset}: try again`,
    );
  }
  return { body: response.body, start };
}

async function request(
  url: string,
  offset: number,
  subject: RequestSubject,
  options: TransferOptions,
): Promise<Response> {
  const headers: Record<string, string> = { ...authorization(options.token) };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  try {
    return await (options.fetch ?? fetch)(url, {
      headers,
      redirect: 'follow',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw unreachable(error, subject);
  }
}

/** The message for a body that ended early, which a later attempt resumes. */
export function cutOff(subject: RequestSubject, received: number, total: number, cause: unknown): HubError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new HubError(
    'network',
    `the download of ${subject.path} from ${subject.id} stopped at ${received} of ${total} bytes${why}: run again to resume it`,
  );
}

/** A body's chunks with a reader, which every browser has (async iteration of streams is newer). */
export async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * One file into the cache's blobs/: bytes are appended to `blobs/<etag>.incomplete`, which survives an
 * interruption so the next attempt (this one's retries, or a later run) asks only for the rest with a
 * Range request. The finished file must have the announced size and hash (an LFS file's SHA-256, a
 * small file's git object id); only then is it renamed into place, so blobs/ never holds a partial or
 * corrupt file. A corrupt one is deleted. A cut connection is retried a capped number of times, each
 * after a longer pause.
 */
import { lstat, mkdir, open, rename, rm, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HubError } from '../errors.js';
import type { RequestSubject } from '../http-errors.js';
import { chunksOf, cutOff, openBody, type ProgressCallback, type TransferOptions } from '../transfer.js';
import { type BlobExpectation, hashMismatch } from './blob-check.js';

export interface BlobTarget extends BlobExpectation {
  path: string;
  size: number;
}

export interface BlobDownloadOptions extends TransferOptions {
  onProgress?: ProgressCallback | undefined;
  /** Further attempts after a cut connection, each resuming where the last stopped (default 2, at most 10). */
  retries?: number | undefined;
  /** The wait before the first retry, doubled for each further one up to 8 s (default 1 s). */
  retryDelayMs?: number | undefined;
}

export const MAX_RETRIES = 10;
const MAX_RETRY_DELAY_MS = 8_000;

export async function downloadBlob(
  url: string,
  target: BlobTarget,
  subject: RequestSubject,
  options: BlobDownloadOptions,
): Promise<void> {
  const partial = `${target.path}.incomplete`;
  const blob: BlobDownload = { url, partial, target, subject, options };
  await mkdir(dirname(partial), { recursive: true });
  const attempts = 1 + Math.min(Math.max(options.retries ?? 2, 0), MAX_RETRIES);
  let failure: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await pause(retryDelay(attempt, options.retryDelayMs), options.signal);
    const have = await sizeOf(partial);
    if (have === target.size) break;
    if (have > target.size) await truncate(partial, 0);
    try {
      await appendFrom(blob, Math.min(have, target.size));
      failure = undefined;
      break;
    } catch (error) {
      if (options.signal?.aborted || !(error instanceof HubError) || error.code !== 'network') throw error;
      failure = error;
    }
  }
  const have = await sizeOf(partial);
  if (have < target.size) throw failure ?? cutOff(subject, have, target.size, undefined);
  await verify(partial, target, subject);
  await rename(partial, target.path);
}

/** One blob being downloaded: from where, into which partial file, for which target. */
interface BlobDownload {
  url: string;
  /** `<target>.incomplete`, kept across attempts and runs. */
  partial: string;
  target: BlobTarget;
  subject: RequestSubject;
  options: BlobDownloadOptions;
}

/** Appends the file's bytes from `offset` on to the partial copy (or writes it anew if the Hub sends it all). */
async function appendFrom(blob: BlobDownload, offset: number): Promise<void> {
  const { url, partial, target, subject, options } = blob;
  const opened = await openBody(url, offset, subject, options);
  const start = opened.start;
  const file = await open(partial, start === 0 ? 'w' : 'a');
  let received = start;
  try {
    for await (const chunk of chunksOf(opened)) {
      if (received + chunk.byteLength > target.size) {
        throw new HubError(
          'integrity',
          `${subject.path} from ${subject.id} is longer than the ${target.size} bytes the Hub announced: not kept`,
        );
      }
      await file.write(chunk);
      received += chunk.byteLength;
      options.onProgress?.({ file: subject.path, loaded: received, total: target.size });
    }
    await file.sync();
  } catch (error) {
    await file.close();
    if (error instanceof HubError) {
      if (error.code === 'integrity') await rm(partial, { force: true });
      throw error;
    }
    if (options.signal?.aborted) throw error;
    throw cutOff(subject, received, target.size, error);
  }
  await file.close();
}

async function verify(partial: string, target: BlobTarget, subject: RequestSubject): Promise<void> {
  const mismatch = await hashMismatch(partial, target.size, target);
  if (mismatch === undefined) return;
  await rm(partial, { force: true });
  throw new HubError(
    'integrity',
    `${subject.path} from ${subject.id} does not match the Hub's checksum (${mismatch}): the corrupt copy was deleted, run again`,
  );
}

/** The partial copy's size; anything there that is not a regular file is removed, never opened. */
async function sizeOf(path: string): Promise<number> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) return 0;
  if (stats.isFile()) return stats.size;
  await rm(path, { recursive: true, force: true });
  return 0;
}

function retryDelay(attempt: number, firstMs = 1_000): number {
  return Math.min(firstMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

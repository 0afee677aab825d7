/**
 * One file into the cache's blobs/: bytes are appended to `blobs/<etag>.incomplete`, which survives an
 * interruption so the next attempt (this one's retries, or a later run) asks only for the rest with a
 * Range request. The finished file must have the announced size and, for LFS files, SHA-256; only then
 * is it renamed into place, so blobs/ never holds a partial or corrupt file. A corrupt one is deleted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HubError } from '../errors.js';
import type { RequestSubject } from '../http-errors.js';
import { chunksOf, cutOff, openBody, type ProgressCallback, type TransferOptions } from '../transfer.js';

export interface BlobTarget {
  path: string;
  size: number;
  sha256?: string | undefined;
}

export interface BlobDownloadOptions extends TransferOptions {
  onProgress?: ProgressCallback | undefined;
  /** Further attempts after a cut connection, each resuming where the last stopped (default 2). */
  retries?: number | undefined;
}

export async function downloadBlob(
  url: string,
  target: BlobTarget,
  subject: RequestSubject,
  options: BlobDownloadOptions,
): Promise<void> {
  const partial = `${target.path}.incomplete`;
  await mkdir(dirname(partial), { recursive: true });
  const attempts = 1 + (options.retries ?? 2);
  let failure: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const have = await sizeOf(partial);
    if (have === target.size) break;
    if (have > target.size) await truncate(partial, 0);
    try {
      await appendFrom(url, partial, Math.min(have, target.size), target, subject, options);
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

async function appendFrom(
  url: string,
  partial: string,
  offset: number,
  target: BlobTarget,
  subject: RequestSubject,
  options: BlobDownloadOptions,
): Promise<void> {
  const { body, start } = await openBody(url, offset, subject, options);
  const file = await open(partial, start === 0 ? 'w' : 'a');
  let received = start;
  try {
    for await (const chunk of chunksOf(body)) {
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
  if (target.sha256 === undefined) return;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== target.sha256) {
    await rm(partial, { force: true });
    throw new HubError(
      'integrity',
      `${subject.path} from ${subject.id} does not match the Hub's checksum (SHA-256 ${actual.slice(0, 12)}…, expected ${target.sha256.slice(0, 12)}…): the corrupt copy was deleted, run again`,
    );
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

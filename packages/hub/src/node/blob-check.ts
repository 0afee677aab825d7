/**
 * Whether a file in blobs/ holds what it should: a regular file (never a link, device or FIFO) of the
 * expected size whose bytes hash to the expected SHA-256 or git object id. A blob's name promises its
 * hash, so a cached blob is checked by its name alone when nothing else is known (offline).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';

export interface BlobExpectation {
  size?: number | undefined;
  /** An LFS file's SHA-256. */
  sha256?: string | undefined;
  /** A small file's git object id: SHA-1 of `blob <size>\0` and the bytes. */
  gitOid?: string | undefined;
}

export type BlobCheck = { state: 'ok'; size: number } | { state: 'missing' } | { state: 'bad'; why: string };

/** What a blob's name promises: a 64-hex name is the SHA-256 of its bytes, a 40-hex one their git id. */
export function promisedByName(name: string): BlobExpectation {
  if (/^[0-9a-f]{64}$/i.test(name)) return { sha256: name.toLowerCase() };
  if (/^[0-9a-f]{40}$/i.test(name)) return { gitOid: name.toLowerCase() };
  return {};
}

export async function checkBlob(path: string, expected: BlobExpectation): Promise<BlobCheck> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) return { state: 'missing' };
  if (!stats.isFile()) return { state: 'bad', why: 'is not a regular file' };
  if (expected.size !== undefined && stats.size !== expected.size) {
    return { state: 'bad', why: `has ${stats.size} bytes instead of ${expected.size}` };
  }
  const mismatch = await hashMismatch(path, stats.size, expected);
  return mismatch === undefined ? { state: 'ok', size: stats.size } : { state: 'bad', why: mismatch };
}

/** Which announced hash the file's bytes fail, or undefined when they match every one given. */
export async function hashMismatch(
  path: string,
  size: number,
  expected: BlobExpectation,
): Promise<string | undefined> {
  if (expected.sha256 === undefined && expected.gitOid === undefined) return undefined;
  const sha256 = createHash('sha256');
  const gitOid = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) {
    if (expected.sha256 !== undefined) sha256.update(chunk as Buffer);
    if (expected.gitOid !== undefined) gitOid.update(chunk as Buffer);
  }
  if (expected.sha256 !== undefined) {
    const actual = sha256.digest('hex');
    if (actual !== expected.sha256) return `has SHA-256 ${brief(actual)}, expected ${brief(expected.sha256)}`;
  }
  if (expected.gitOid !== undefined) {
    const actual = gitOid.digest('hex');
    if (actual !== expected.gitOid) return `has git id ${brief(actual)}, expected ${brief(expected.gitOid)}`;
  }
  return undefined;
}

function brief(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

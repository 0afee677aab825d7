/**
 * Files replaced whole: what is written goes to a temporary file beside the target, is flushed to disk
 * and renamed over the target, so a reader sees the old file or the new one, never part of either, and
 * a write stopped at any moment (even by `kill -9`) leaves the target as it was and at most a temporary
 * file, which `isTemporaryPath` recognizes.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';

const TEMPORARY_SUFFIX = /\.tmp-\d+-[0-9a-f]+$/;

/**
 * A fresh name beside `path` for a file or folder that becomes `path` by a rename:
 * `<path>.tmp-<process id>-<8 random hex digits>`.
 */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Whether a name or path is one `temporaryPath` makes: where no write is under way, a leftover. */
export function isTemporaryPath(name: string): boolean {
  return TEMPORARY_SUFFIX.test(name);
}

/**
 * Renames `temporary` (a file or a folder) over `path`. When the rename fails, `temporary` is removed
 * and the error rethrown.
 */
export async function renameIntoPlace(temporary: string, path: string): Promise<void> {
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Creates or replaces `path` whole: `write` fills a new temporary file beside it through its handle
 * (at any positions), which is then flushed to disk (fsync), closed and renamed over `path`. On any
 * failure the temporary file is removed and the error rethrown, `path` staying as it was. The folder
 * must exist. Returns what `write` returned.
 */
export async function writeFileAtomicWith<T>(
  path: string,
  write: (file: FileHandle) => Promise<T>,
): Promise<T> {
  const temporary = temporaryPath(path);
  // 'wx': a file (or a link) already at the temporary name is an error, never written through.
  const file = await open(temporary, 'wx');
  let isOpen = true;
  try {
    const result = await write(file);
    await file.sync();
    isOpen = false;
    await file.close();
    await rename(temporary, path);
    return result;
  } catch (error) {
    if (isOpen) await file.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes `data` to `path` atomically (see `writeFileAtomicWith`): a reader sees the previous file or
 * all of `data`, and a failed write leaves the previous file and no temporary one.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFileAtomicWith(path, (file) => file.writeFile(data));
}

/**
 * Writes `pieces` one after another to `path` atomically (see `writeFileAtomicWith`): a file larger than
 * memory, or one made piece by piece, is written without ever being whole in memory.
 */
export async function writeFileAtomicPieces(
  path: string,
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  return writeFileAtomicWith(path, async (file) => {
    let written = 0;
    for await (const piece of pieces) {
      let done = 0;
      while (done < piece.byteLength) {
        const { bytesWritten } = await file.write(piece, done, piece.byteLength - done, written + done);
        done += bytesWritten;
      }
      written += piece.byteLength;
    }
    return written;
  });
}

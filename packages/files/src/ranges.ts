/**
 * A regular file read by byte ranges: its size is taken once, when it is opened (and refused there when
 * over a limit), and every read must find all the bytes it asks for. A file cut short or replaced by a
 * shorter one while it is read is then an error naming it, never a buffer left partly zero.
 */
import type { FileHandle } from 'node:fs/promises';
import { FileKindError, openRegularFile } from './regular-file.js';

export interface FileRanges {
  readonly path: string;
  /** The file's size when it was opened. */
  readonly byteLength: number;
  /** Fills `into` with the file's bytes from `position` on. */
  read(position: number, into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` (a regular file, links followed) for reads by range; refused unread over `maxBytes`. */
export async function openFileRanges(path: string, options: { maxBytes?: number } = {}): Promise<FileRanges> {
  const file = await openRegularFile(path);
  const { size } = await file.stat();
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  if (size > maxBytes) {
    await file.close();
    throw new FileKindError(
      `${path} is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} such a file can take: it is damaged or not what its name says`,
    );
  }
  return {
    path,
    byteLength: size,
    read: (position, into) => readFully(file, path, size, position, into),
    close: () => file.close(),
  };
}

/** Node reads at most 2 GiB at once; a tensor may be larger, so reads go in pieces of at most 1 GiB. */
const MAX_READ_BYTES = 2 ** 30;

async function readFully(
  file: FileHandle,
  path: string,
  size: number,
  position: number,
  into: Uint8Array,
): Promise<void> {
  if (position + into.byteLength > size) {
    throw new RangeError(
      `internal: a read of ${path} past its ${size} bytes (bytes ${position}..${position + into.byteLength})`,
    );
  }
  let done = 0;
  while (done < into.byteLength) {
    const length = Math.min(into.byteLength - done, MAX_READ_BYTES);
    const { bytesRead } = await file.read(into, done, length, position + done);
    if (bytesRead === 0) {
      throw new FileKindError(
        `${path} ended at byte ${(position + done).toLocaleString('en-US')} but was ${size.toLocaleString('en-US')} bytes when opened: it changed while it was read; read it again once nothing writes it`,
      );
    }
    done += bytesRead;
  }
}

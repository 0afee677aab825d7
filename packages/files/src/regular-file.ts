/**
 * Files read whole only when they are regular files of a size known before reading. A FIFO would block
 * the read forever and a link to /dev/zero would grow a buffer without end; both are refused at once,
 * as is a file larger than what the caller says it can take.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** A path that is not a regular file (a FIFO, a device, a socket), or one larger than allowed. */
export class FileKindError extends Error {
  override name = 'FileKindError';
}

/**
 * Opens `path` for reading if it is a regular file (links followed). Opening does not wait for a FIFO's
 * writer (O_NONBLOCK), so a FIFO is refused instead of hanging. Missing files fail as `open` does.
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  const info = await file.stat().catch(async (error: Error) => {
    await file.close();
    throw error;
  });
  if (!info.isFile()) {
    await file.close();
    if (info.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    throw new FileKindError(`${path} is not a regular file (a ${kindOf(info)}): give a file`);
  }
  return file;
}

/** A regular file's bytes, refused unread when it is larger than `maxBytes`. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const file = await openRegularFile(path);
  try {
    const { size } = await file.stat();
    if (size > maxBytes) {
      throw new FileKindError(
        `${path} is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} such a file can take: it is damaged or not what its name says`,
      );
    }
    // At most the size seen: a file that grows while it is read does not grow the buffer.
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await file.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return bytes.subarray(0, done);
  } finally {
    await file.close();
  }
}

function kindOf(info: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (info.isFIFO()) return 'FIFO';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  if (info.isSocket()) return 'socket';
  return 'special file';
}

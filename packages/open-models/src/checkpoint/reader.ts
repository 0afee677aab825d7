import { type ByteRanges, blobAsRanges, bytesAsRanges } from '@scratchgpt/tensor';

/**
 * Where a checkpoint's files come from: a directory on disk, a browser's file picker, or memory in
 * tests. The reader bounds what it reads, so a hostile file is refused by its size, not after it.
 */
export interface CheckpointReader {
  /** Whether the checkpoint holds `name` (a plain file name). */
  has(name: string): Promise<boolean>;
  /** The bytes of `name`; refused before reading when the file holds more than `maxBytes`. */
  read(name: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * `name` opened for reads by byte range (refused like `read` over `maxBytes`), so weights are read
   * tensor by tensor instead of whole; the caller closes it. Readers without it are read whole.
   */
  ranges?(name: string, maxBytes: number): Promise<ByteRanges & { close(): Promise<void> }>;
}

/** A checkpoint already in memory, by file name. */
export function checkpointInMemory(files: ReadonlyMap<string, Uint8Array>): CheckpointReader {
  const read = async (name: string, maxBytes: number) =>
    boundedFile(files, name, maxBytes, (bytes) => bytes.byteLength);
  return {
    has: async (name) => files.has(name),
    read,
    // Tensor by tensor from the bytes held: no parsed copy of the whole file beside them.
    ranges: async (name, maxBytes) => ({
      ...bytesAsRanges(await read(name, maxBytes)),
      close: async () => {},
    }),
  };
}

/**
 * A checkpoint whose files are Blobs (the browser's Cache Storage, a file picker): the weights are read
 * tensor by tensor from them, so memory holds the model and one tensor, never a file whole.
 */
export function checkpointOfBlobs(files: ReadonlyMap<string, Blob>): CheckpointReader {
  const blobOf = (name: string, maxBytes: number) => boundedFile(files, name, maxBytes, (blob) => blob.size);
  return {
    has: async (name) => files.has(name),
    read: async (name, maxBytes) => new Uint8Array(await blobOf(name, maxBytes).arrayBuffer()),
    ranges: async (name, maxBytes) => ({ ...blobAsRanges(blobOf(name, maxBytes)), close: async () => {} }),
  };
}

/** `name` of `files`, refused when the checkpoint lacks it or it holds more than `maxBytes`. */
function boundedFile<F>(
  files: ReadonlyMap<string, F>,
  name: string,
  maxBytes: number,
  sizeOf: (file: F) => number,
): F {
  const file = files.get(name);
  if (file === undefined) throw new RangeError(`${name}: the checkpoint has no such file`);
  const size = sizeOf(file);
  if (size > maxBytes)
    throw new RangeError(`${name} is ${size} bytes, more than the ${maxBytes} it may have`);
  return file;
}

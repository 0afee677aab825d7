import { type ByteRanges, bytesAsRanges } from '@scratchgpt/tensor';

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
  const read = async (name: string, maxBytes: number) => {
    const bytes = files.get(name);
    if (bytes === undefined) throw new RangeError(`${name}: the checkpoint has no such file`);
    if (bytes.length > maxBytes) {
      throw new RangeError(`${name} is ${bytes.length} bytes, more than the ${maxBytes} it may have`);
    }
    return bytes;
  };
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

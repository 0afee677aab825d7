/**
 * Where a checkpoint's files come from: a directory on disk, a browser's file picker, or memory in
 * tests. The reader bounds what it reads, so a hostile file is refused by its size, not after it.
 */
export interface CheckpointReader {
  /** Whether the checkpoint holds `name` (a plain file name). */
  has(name: string): Promise<boolean>;
  /** The bytes of `name`; refused before reading when the file holds more than `maxBytes`. */
  read(name: string, maxBytes: number): Promise<Uint8Array>;
}

/** A checkpoint already in memory, by file name. */
export function checkpointInMemory(files: ReadonlyMap<string, Uint8Array>): CheckpointReader {
  return {
    has: async (name) => files.has(name),
    read: async (name, maxBytes) => {
      const bytes = files.get(name);
      if (bytes === undefined) throw new RangeError(`${name}: the checkpoint has no such file`);
      if (bytes.length > maxBytes) {
        throw new RangeError(`${name} is ${bytes.length} bytes, more than the ${maxBytes} it may have`);
      }
      return bytes;
    },
  };
}

/**
 * How many rows of a table go in each shard so that no shard exceeds a backend's per-binding limit
 * (WebGPU's `maxStorageBufferBindingSize`: 128 MiB by default, while GPT-2's token table is 147 MiB).
 */
export class ShardingError extends Error {
  override name = 'ShardingError';
}

export function shardRowCounts(rows: number, rowBytes: number, limitBytes: number | null): number[] {
  if (limitBytes == null || rows * rowBytes <= limitBytes) return [rows];
  const rowsPerShard = Math.floor(limitBytes / rowBytes);
  if (rowsPerShard < 1) {
    throw new ShardingError(
      `One row of ${rowBytes} bytes exceeds the backend's ${limitBytes}-byte binding limit, so the table ` +
        'cannot be sharded by rows: use a smaller embedding dimension or another backend (wasm).',
    );
  }
  const shards = Math.ceil(rows / rowsPerShard);
  // Spread rows evenly instead of leaving a small last shard.
  const base = Math.floor(rows / shards);
  const extra = rows % shards;
  return Array.from({ length: shards }, (_, i) => base + (i < extra ? 1 : 0));
}

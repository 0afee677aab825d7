/**
 * Loading one weight of a safetensors file into a model without holding it twice: the file's bytes
 * are read in pieces straight into the tensors the model keeps (each shard of a sharded table, or the
 * parameter itself), each piece checked for finiteness on the way.
 */
import {
  checkWeightPiece,
  type Module,
  type SafetensorsEntry,
  type SafetensorsRanges,
  tensorFromPieces,
  type tf,
} from '@scratchgpt/tensor';
import { ShardedTable } from './sharded-table.js';

/**
 * Reads `entry` of `file` (F32, F16 or BF16: see `readsInPieces`) into the model's state-dict entry
 * `name` (a sharded table shard by shard); `source` names the file in errors, which `fail` makes. The
 * largest tensors (the token table, 31% of GPT-2 124M) are never whole on the host, nor twice on the
 * device.
 */
export async function loadInPieces(
  model: Module,
  name: string,
  file: SafetensorsRanges,
  entry: SafetensorsEntry,
  source: string,
  fail: (message: string) => Error,
): Promise<void> {
  const read = async (part: SafetensorsEntry, first: number): Promise<tf.Tensor> =>
    tensorFromPieces(part.shape, (write) =>
      file.readTensorPieces(part, (offset, values) => {
        checkWeightPiece(entry.name, values, first + offset, source, fail);
        write(offset, values);
      }),
    );
  const table = shardedTableAt(model, name);
  if (table === undefined) {
    const tensor = await read(entry, 0);
    try {
      model.loadStateDict(new Map([[name, tensor]]), { strict: false });
    } finally {
      tensor.dispose();
    }
    return;
  }
  // One shard at a time: a table stored in 16 bits then holds one float32 shard at most.
  const width = (entry.end - entry.begin) / (table.rows * table.dim);
  for (const [i, [rows, dim]] of table.shardShapes.entries()) {
    const first = (table.shardStarts[i] as number) * dim;
    const begin = entry.begin + first * width;
    const shard = await read({ ...entry, shape: [rows, dim], begin, end: begin + rows * dim * width }, first);
    try {
      table.loadShard(i, shard, name);
    } finally {
      shard.dispose();
    }
  }
}

/** The sharded table whose state-dict entry is `name`, if one is. */
function shardedTableAt(model: Module, name: string): ShardedTable | undefined {
  for (const [path, module] of model.namedModules()) {
    if (module instanceof ShardedTable && (path === '' ? 'weight' : `${path}.weight`) === name) return module;
  }
  return undefined;
}

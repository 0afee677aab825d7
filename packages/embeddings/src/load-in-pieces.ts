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
  tensorsFromPieces,
  tf,
} from '@scratchgpt/tensor';
import { ShardedTable } from './sharded-table.js';

/**
 * Reads `entry` of `file` (F32, F16 or BF16: see `readsInPieces`) into the model's state-dict entry
 * `name`; `source` names the file in errors, which `fail` makes. The largest tensors (the token table,
 * 31% of GPT-2 124M) are never whole on the host, nor twice on the device.
 */
export async function loadInPieces(
  model: Module,
  name: string,
  file: SafetensorsRanges,
  entry: SafetensorsEntry,
  source: string,
  fail: (message: string) => Error,
): Promise<void> {
  const table = shardedTableAt(model, name);
  const tensors = await tensorsFromPieces(table?.shardShapes ?? [entry.shape], (write) =>
    file.readTensorPieces(entry, (offset, values) => {
      checkWeightPiece(entry.name, values, offset, source, fail);
      write(offset, values);
    }),
  );
  try {
    if (table !== undefined) table.loadShards(tensors, name);
    else model.loadStateDict(new Map([[name, tensors[0] as tf.Tensor]]), { strict: false });
  } finally {
    tf.dispose(tensors);
  }
}

/** The sharded table whose state-dict entry is `name`, if one is. */
function shardedTableAt(model: Module, name: string): ShardedTable | undefined {
  for (const [path, module] of model.namedModules()) {
    if (module instanceof ShardedTable && (path === '' ? 'weight' : `${path}.weight`) === name) return module;
  }
  return undefined;
}

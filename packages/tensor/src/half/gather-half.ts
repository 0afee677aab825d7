/**
 * Rows of a 16-bit table (token embeddings) as float32, gathered and widened in one pass: only the
 * rows asked for are read. No gradient reaches the table (it is frozen in 16 bits). An id outside the
 * table is an error on cpu and wasm, and reads zeros on WebGPU (which cannot report it).
 */
import { tf } from '../tf.js';
import type { HalfTensor } from './half-tensor.js';
import { widenHalfRows } from './widen-half.js';

/** table: (V, D) in 16 bits; ids: int32 of any shape → (...ids.shape, D) float32. */
export function gatherHalf(table: HalfTensor, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`gatherHalf: ids must be int32, got ${ids.dtype}`);
  if (table.shape.length !== 2) throw new Error(`gatherHalf: expected a (V, D) table, got [${table.shape}]`);
  const width = table.shape[1] as number;
  return tf.tidy(() => tf.reshape(widenHalfRows(table, tf.reshape(ids, [-1])), [...ids.shape, width]));
}

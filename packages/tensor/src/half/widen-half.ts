/**
 * A 16-bit tensor, or rows of it, widened to float32, through the backend's `ScratchGPTWidenHalf`
 * kernel (cpu, wasm and blas, WebGPU), or on the host where a backend has none. The caller owns the
 * result: the products widen one weight at a time and dispose of it at once, so no float32 copy of a
 * model lives.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { hasFusedKernel, runFused } from '../ops/fused.js';
import { tf } from '../tf.js';
import { halfAttrs } from './half-kernel.js';
import type { HalfTensor } from './half-tensor.js';
import { widenWords } from './widen-words.js';

/** All of `w` as float32, in its shape. */
export function widenHalf(w: HalfTensor): tf.Tensor {
  return widen(w, undefined);
}

/** Rows `ids` (int32, flat) of a 16-bit matrix as float32 (ids.size, columns). */
export function widenHalfRows(w: HalfTensor, ids: tf.Tensor): tf.Tensor {
  return widen(w, ids);
}

function widen(w: HalfTensor, ids: tf.Tensor | undefined): tf.Tensor {
  if (w.isDisposed) throw new Error('widenHalf: this 16-bit tensor was disposed');
  const columns = w.shape.at(-1) ?? 1;
  if (hasFusedKernel(fusedKernelNames.widenHalf)) {
    const inputs = ids == null ? { words: w.words } : { words: w.words, ids };
    return runFused(fusedKernelNames.widenHalf, inputs, { ...halfAttrs(w) })[0] as tf.Tensor;
  }
  const rows = ids == null ? w.size / Math.max(1, columns) : ids.size;
  const out = new Float32Array(rows * columns);
  const wanted = ids == null ? undefined : (ids.dataSync() as Int32Array);
  widenWords(w.words.dataSync() as Int32Array, columns, w.precision, out, wanted);
  return tf.tensor(out, ids == null ? [...w.shape] : [rows, columns], 'float32');
}

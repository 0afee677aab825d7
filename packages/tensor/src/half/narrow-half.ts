/**
 * A float32 tensor stored in 16 bits on the backend: each value rounded to the nearest half or
 * bfloat16 (ties to even, as `roundToPrecision` rounds) and packed, by the backend's
 * `ScratchGPTNarrowHalf` kernel (cpu, wasm and blas, WebGPU), or on the host where a backend has none.
 * ∞ and NaN are kept, so `widenHalf` gives back exactly `roundToPrecision(x)`: a tensor that is
 * already 16-bit values loses nothing.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { hasFusedKernel, runFused } from '../ops/fused.js';
import { tf } from '../tf.js';
import { HalfTensor } from './half-tensor.js';
import { narrowWords } from './narrow-words.js';
import type { HalfPrecision } from './precision.js';
import { wordShape } from './rounding.js';

/** Whether the active backend narrows on the device (elsewhere the values make a trip to the host). */
export function narrowsOnDevice(): boolean {
  return hasFusedKernel(fusedKernelNames.narrowHalf);
}

/** `x` (float32, rank ≥ 1) rounded into a new 16-bit tensor; `x` is left as it is. */
export function narrowToHalf(x: tf.Tensor, precision: HalfPrecision): HalfTensor {
  if (x.dtype !== 'float32') throw new TypeError(`narrowToHalf: expected a float32 tensor, got ${x.dtype}`);
  if (x.rank === 0) throw new TypeError('narrowToHalf: expected a tensor of rank ≥ 1, got a scalar');
  if (narrowsOnDevice()) {
    const [words] = runFused(fusedKernelNames.narrowHalf, { x }, { bf16: precision === 'bf16' });
    return new HalfTensor(words as tf.Tensor, x.shape, precision);
  }
  const shape = wordShape(x.shape);
  const words = new Int32Array(tf.util.sizeFromShape(shape));
  narrowWords(x.dataSync() as Float32Array, x.shape.at(-1) ?? 1, precision, words);
  return new HalfTensor(tf.tensor(words, shape, 'int32'), x.shape, precision);
}

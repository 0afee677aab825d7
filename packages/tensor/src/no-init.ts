/**
 * A generator for building a model whose weights are about to be overwritten by a checkpoint: it draws
 * nothing. Its tensors are allocated but not written ({@link emptyTensor}), so building costs neither
 * the draws nor the memory (untouched pages are not resident) until each weight is loaded. Its arrays
 * are zeros.
 */
import { emptyHalfTensor, type HalfTensor } from './half/half-tensor.js';
import type { HalfPrecision } from './half/precision.js';
import { emptyTensor } from './ops/tensor-from-pieces.js';
import { Generator } from './random.js';
import type { tf } from './tf.js';

export class NoInitGenerator extends Generator {
  override uniformArray(size: number): Float32Array {
    return new Float32Array(size);
  }

  override normalArray(size: number): Float32Array {
    return new Float32Array(size);
  }

  override uniformTensor(shape: readonly number[]): tf.Tensor {
    return emptyTensor(shape);
  }

  override normalTensor(shape: readonly number[]): tf.Tensor {
    return emptyTensor(shape);
  }

  override uniformHalf(
    shape: readonly number[],
    _low: number,
    _high: number,
    precision: HalfPrecision,
  ): HalfTensor {
    return emptyHalfTensor(shape, precision);
  }

  override normalHalf(
    shape: readonly number[],
    _mean: number,
    _std: number,
    precision: HalfPrecision,
  ): HalfTensor {
    return emptyHalfTensor(shape, precision);
  }
}

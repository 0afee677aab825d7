/**
 * A float tensor stored in 16 bits. TF.js has no 16-bit dtype, so the values are packed two to an
 * int32 element (`rounding.ts` gives the layout) in a tensor of the active backend, and the logical
 * shape is kept beside it. The kernels that read it (`matMulHalf`, `gatherHalf`, `widenHalf`) widen
 * each value to float32 as they go.
 */
import { emptyTensor } from '../ops/tensor-from-pieces.js';
import { tf } from '../tf.js';
import type { HalfPrecision } from './precision.js';
import { packHalf, wordShape } from './rounding.js';

export class HalfTensor {
  /** Called by {@link halfTensor} and {@link toHalf}; `words` is owned (and disposed) by this tensor. */
  constructor(
    readonly words: tf.Tensor,
    readonly shape: readonly number[],
    readonly precision: HalfPrecision,
  ) {
    if (words.dtype !== 'int32' || !tf.util.arraysEqual(words.shape, wordShape(shape))) {
      throw new Error(
        `HalfTensor: packed words must be int32 of shape [${wordShape(shape)}] for [${shape}], got ` +
          `${words.dtype} [${words.shape}]`,
      );
    }
  }

  get size(): number {
    return tf.util.sizeFromShape([...this.shape]);
  }

  /** Bytes the packed values take on the backend. */
  get bytes(): number {
    return this.words.size * 4;
  }

  get isDisposed(): boolean {
    return this.words.isDisposed;
  }

  dispose(): void {
    this.words.dispose();
  }
}

/** Packs host values (rounded to nearest even; non-finite or out-of-range values refused). */
export function halfTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  precision: HalfPrecision,
): HalfTensor {
  const size = tf.util.sizeFromShape([...shape]);
  if (values.length !== size) throw new Error(`halfTensor: ${values.length} values for shape [${shape}]`);
  return new HalfTensor(
    tf.tensor(packHalf(values, shape, precision), wordShape(shape), 'int32'),
    shape,
    precision,
  );
}

/**
 * A 16-bit tensor of `shape` whose values are not set (its words allocated, not written: see
 * `emptyTensor`), for a model whose weights are about to be loaded.
 */
export function emptyHalfTensor(shape: readonly number[], precision: HalfPrecision): HalfTensor {
  return new HalfTensor(emptyTensor(wordShape(shape), 'int32'), shape, precision);
}

/**
 * `x` (float32) stored in `precision`: read once from the backend, rounded and packed on the host,
 * then uploaded. `x` is left as it is.
 */
export async function toHalf(x: tf.Tensor, precision: HalfPrecision): Promise<HalfTensor> {
  if (x.dtype !== 'float32') throw new Error(`toHalf: expected a float32 tensor, got ${x.dtype}`);
  if (x.rank === 0) throw new Error('toHalf: expected a tensor of rank ≥ 1, got a scalar');
  return halfTensor((await x.data()) as Float32Array, x.shape, precision);
}

/**
 * What the 16-bit kernels are told besides their inputs, one shape for every backend:
 * `ScratchGPTWidenHalf` (words → float32) and `ScratchGPTMatMulHalf` (x · widen(words), or · ᵀ).
 */
import type { tf } from '../tf.js';
import type { HalfTensor } from './half-tensor.js';

/** Rows of x up to which a product reads the packed weight directly (where the backend can). */
export const DIRECT_ROWS = 8;

export interface HalfAttrs {
  /** bfloat16 when true, binary16 when false. */
  bf16: boolean;
  /** The logical last axis (a row of `columns` values takes ⌈columns/2⌉ words). */
  columns: number;
}

export interface MatMulHalfAttrs extends HalfAttrs {
  /** x (N, K) · Wᵀ with W (M, K) when true, x · W with W (K, M) when false. */
  transposeB: boolean;
}

export function halfAttrs(w: HalfTensor): HalfAttrs {
  return { bf16: w.precision === 'bf16', columns: w.shape.at(-1) ?? 1 };
}

/**
 * The float32 shape `ScratchGPTWidenHalf` writes: words `[..., ⌈C/2⌉]` holding `columns` = C values a
 * row widen to `[..., C]`; with `ids` (int32, flat), the rows they name to `[ids, C]`.
 */
export function widenedShape(words: tf.TensorInfo, columns: number, ids?: tf.TensorInfo): number[] {
  if (ids != null) return [ids.shape.reduce((a, b) => a * b, 1), columns];
  return [...words.shape.slice(0, -1), columns];
}

/** (rows, columns) of the 2-D weight a product reads, and (N, M) of its output. */
export function productShape(
  x: tf.TensorInfo,
  words: tf.TensorInfo,
  { columns, transposeB }: MatMulHalfAttrs,
): { n: number; k: number; m: number } {
  const rows = words.shape[0] as number;
  const [k, m] = transposeB ? [columns, rows] : [rows, columns];
  const n = x.shape[0] as number;
  if (x.shape.length !== 2 || words.shape.length !== 2 || x.shape[1] !== k) {
    throw new Error(
      `matMulHalf: x [${x.shape}] cannot multiply a 16-bit weight of [${rows}, ${columns}]` +
        `${transposeB ? ' transposed' : ''}: x must be (N, ${k})`,
    );
  }
  return { n, k, m };
}

/**
 * x · W (or x · Wᵀ) with W stored in 16 bits: float32 products with float32 sums, on the values W
 * holds (the rounded weights). The gradient flows to x only: a 16-bit weight is frozen (inference, or
 * the base under LoRA's adapters), and asking for its gradient is an error.
 *
 * A few rows (generation with the KV cache: one) go to the backend's `ScratchGPTMatMulHalf` kernel,
 * which reads the packed weight directly: such a product is bound by reading the weight, and reading
 * half the bytes is the point of storing it so. More rows widen the weight into a transient float32
 * tensor, multiply with the backend's fastest float32 product (BLAS on blas) and dispose of it.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { hasFusedKernel, runFused } from '../ops/fused.js';
import { withLazyGradients } from '../ops/lazy-gradient.js';
import { matMul } from '../ops/mat-mul.js';
import type { tf } from '../tf.js';
import { DIRECT_ROWS, halfAttrs } from './half-kernel.js';
import type { HalfTensor } from './half-tensor.js';
import { widenHalf } from './widen-half.js';

export interface MatMulHalfOptions {
  /** W is (M, K) and the product is x · Wᵀ (a `Linear`'s weight, a tied output head). */
  transposeB?: boolean;
}

function forward(x: tf.Tensor, w: HalfTensor, transposeB: boolean): tf.Tensor {
  const rows = x.shape[0] as number;
  if (rows <= DIRECT_ROWS && hasFusedKernel(fusedKernelNames.matMulHalf)) {
    const attrs = { ...halfAttrs(w), transposeB };
    return runFused(fusedKernelNames.matMulHalf, { x, words: w.words }, attrs)[0] as tf.Tensor;
  }
  const widened = widenHalf(w);
  try {
    return matMul(x, widened, false, transposeB);
  } finally {
    widened.dispose();
  }
}

/** x: (N, K) float32; W: (K, M), or (M, K) with `transposeB` → (N, M). */
export function matMulHalf(x: tf.Tensor, w: HalfTensor, options: MatMulHalfOptions = {}): tf.Tensor {
  const transposeB = options.transposeB ?? false;
  if (x.dtype !== 'float32' || x.rank !== 2) {
    throw new Error(`matMulHalf: x must be a float32 matrix (N, K), got ${x.dtype} [${x.shape}]`);
  }
  const k = transposeB ? w.shape[1] : w.shape[0];
  if (w.shape.length !== 2 || x.shape[1] !== k) {
    throw new Error(
      `matMulHalf: x [${x.shape}] cannot multiply a 16-bit weight [${w.shape}]${transposeB ? ' transposed' : ''}`,
    );
  }
  if (w.isDisposed) throw new Error('matMulHalf: the 16-bit weight was disposed');
  // x alone gets a gradient; asking one of the weight fails.
  return withLazyGradients(
    { x, words: w.words },
    () => forward(x, w, transposeB),
    (dy) => ({
      x: () => matMulHalf(dy, w, { transposeB: !transposeB }),
      words: () => {
        throw new Error(
          `matMulHalf: no gradient for a ${w.precision} weight: 16-bit weights are frozen (keep a float32 ` +
            'weight to train it, or train a LoRA adapter on top)',
        );
      },
    }),
  );
}

/**
 * Matrix products that stay fast on every backend.
 *
 * TF.js's wasm backend runs a plain two-dimensional product through XNNPACK but falls back to a loop
 * several times slower when either operand is transposed or when there are batch axes (attention's
 * batch × heads), and gradients of a product are transposed products. Here, on wasm, operands are
 * transposed explicitly (a cheap copy) and batches are taken one matrix at a time, so every product is
 * a plain 2-D one, forward and backward. Other backends get `tf.matMul` unchanged, and so does wasm
 * when its products run in BLAS, which takes transposes as flags and batches as they are.
 */
import { blasProductsActive } from '../kernels/blas/products.js';
import { webgpuKernelSet } from '../kernels/webgpu/register-all.js';
import { tf } from '../tf.js';
import { autocastOperand, autocastPrecision } from './autocast.js';
import { withLazyGradients } from './lazy-gradient.js';
import { type ProductRule, roundedProduct } from './rounded-product.js';
import { storedInVariable } from './variable-storage.js';

/** Swaps the last two axes. */
function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** Right operands from this many bytes up are worth keeping out of XNNPACK's cache. */
const CACHED_OPERAND_BYTES = 1 << 20;

/**
 * XNNPACK packs a product's right operand into its own copy and keeps it, keyed by the operand's
 * storage, until that storage is freed: for a variable, forever. A frozen weight in a backward
 * product (dx = dy · W) would then sit in wasm's heap twice, and a model's whole base with it (1.2 GB
 * for GPT-2 medium, beyond any tensor count). A large operand stored in a variable goes in as a
 * transient copy instead, whose packing goes with it.
 */
function uncachedRight(b: tf.Tensor): tf.Tensor {
  if (b.size * 4 < CACHED_OPERAND_BYTES) return b;
  return storedInVariable(b) ? tf.mul(b, tf.scalar(1)) : b;
}

/** a · b for a (..., m, k) and b (..., k, n) with the same batch axes, as 2-D products. */
function plainProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const batchShape = a.shape.slice(0, -2);
  const batch = tf.util.sizeFromShape(batchShape);
  if (batch === 1) return tf.tidy(() => tf.matMul(a, uncachedRight(b)));
  return tf.tidy(() => {
    const [m, k] = a.shape.slice(-2) as [number, number];
    const n = b.shape[b.rank - 1] as number;
    const lefts = tf.split(tf.reshape(a, [batch * m, k]), batch, 0);
    const rights = tf.split(tf.reshape(b, [batch * k, n]), batch, 0);
    const products = lefts.map((left, i) => tf.matMul(left, rights[i]!));
    return tf.reshape(tf.concat(products, 0), [...batchShape, m, n]);
  });
}

/**
 * The gradients of C = op(a)·op(b) as plain products: d op(a) = dy·op(b)ᵀ and d op(b) = op(a)ᵀ·dy,
 * each written so it transposes at most one operand (op(op(x)ᵀ) is x itself).
 */
function plainGradientA(dy: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return transposeA
    ? plainProduct(transposeB ? transposeLast(b) : b, transposeLast(dy))
    : plainProduct(dy, transposeB ? b : transposeLast(b));
}

function plainGradientB(dy: tf.Tensor, a: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return transposeB
    ? plainProduct(transposeLast(dy), transposeA ? transposeLast(a) : a)
    : plainProduct(transposeA ? a : transposeLast(a), dy);
}

/**
 * op(a) · op(b) as a plain product, with a gradient made of plain products too, each taken only where
 * asked: a frozen weight's is never computed.
 */
function explicitProduct(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return withLazyGradients(
    { a, b },
    (save) => {
      save([a, b]);
      return plainProduct(transposeA ? transposeLast(a) : a, transposeB ? transposeLast(b) : b);
    },
    (upstream, saved) => {
      const [savedA, savedB] = saved as [tf.Tensor, tf.Tensor];
      return {
        a: () => plainGradientA(upstream, savedB, transposeA, transposeB),
        b: () => plainGradientB(upstream, savedA, transposeA, transposeB),
      };
    },
  );
}

const FEW_ROWS = 16;

/**
 * Whether a product reads a transposed operand in place on the current backend, at the cost of a plain
 * one: with BLAS (transposes are flags) and with scratchgpt's WebGPU kernels. Elsewhere a transpose is
 * copied (on wasm {@link matMul} materialises it; TF.js's stock WebGPU product is slower with one), so
 * code that multiplies by the same transposed operand many times should transpose it once itself.
 */
export function productsTakeTransposes(): boolean {
  const backend = tf.getBackend();
  if (backend === 'wasm') return blasProductsActive();
  if (backend === 'webgpu') return webgpuKernelSet() === 'scratchgpt';
  return true;
}

/**
 * `tf.matMul`, but never on a slow path, and in the precision of the {@link autocast} around it: use
 * it for every product in model code.
 */
export function matMul<R extends tf.Rank>(
  a: tf.Tensor<R>,
  b: tf.Tensor,
  transposeA = false,
  transposeB = false,
): tf.Tensor<R> {
  const precision = autocastPrecision();
  if (precision === 'f32') return fastProduct(a, b, transposeA, transposeB);
  // As PyTorch's autocast: 16-bit operands in, the product rounded to 16 bits out.
  if (a.rank >= 2 && sameBatch(a, b)) {
    return roundedProduct(a, b, precision, productRule(a, b, transposeA, transposeB)) as tf.Tensor<R>;
  }
  return composedRoundedProduct(a, b, transposeA, transposeB);
}

/**
 * The roundings of autocast composed around the product, each op keeping what its gradient needs
 * (float32 copies of both rounded operands): for products with broadcast batch axes, and the
 * reference `roundedProduct`'s gradients are held to.
 */
export function composedRoundedProduct<R extends tf.Rank>(
  a: tf.Tensor<R>,
  b: tf.Tensor,
  transposeA = false,
  transposeB = false,
): tf.Tensor<R> {
  return tf.tidy(() =>
    autocastOperand(fastProduct(autocastOperand(a), autocastOperand(b), transposeA, transposeB)),
  );
}

function sameBatch(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.rank === b.rank && a.shape.slice(0, -2).every((size, i) => size === b.shape[i]);
}

/** Whether a product goes through {@link explicitProduct}: on wasm without BLAS, past a few rows. */
function takesPlainPath(a: tf.Tensor, b: tf.Tensor, transposeA: boolean): boolean {
  // Broadcast batch axes keep TF.js's own product, whose gradient sums over them.
  // With a few rows (generating one token at a time) copying a large operand costs more than it saves.
  const rows = a.shape[transposeA ? a.rank - 1 : a.rank - 2] ?? 0;
  const slowPaths = tf.getBackend() === 'wasm' && !blasProductsActive();
  return slowPaths && a.rank >= 2 && sameBatch(a, b) && rows >= FEW_ROWS;
}

function fastProduct<R extends tf.Rank>(
  a: tf.Tensor<R>,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor<R> {
  if (!takesPlainPath(a, b, transposeA)) return tf.matMul(a, b, transposeA, transposeB) as tf.Tensor<R>;
  return explicitProduct(a, b, transposeA, transposeB) as tf.Tensor<R>;
}

/**
 * The product {@link fastProduct} computes for these operands, with the gradients its path has: the
 * plain products', or those TF.js gives `BatchMatMul` (same batch axes, so nothing to sum).
 */
function productRule(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): ProductRule {
  const forward = (x: tf.Tensor, y: tf.Tensor) => fastProduct(x, y, transposeA, transposeB);
  if (takesPlainPath(a, b, transposeA)) {
    return {
      forward,
      gradientA: (dy, y) => plainGradientA(dy, y, transposeA, transposeB),
      gradientB: (dy, x) => plainGradientB(dy, x, transposeA, transposeB),
    };
  }
  return {
    forward,
    gradientA: (dy, y) =>
      transposeA ? tf.matMul(y, dy, transposeB, true) : tf.matMul(dy, y, false, !transposeB),
    gradientB: (dy, x) =>
      transposeB ? tf.matMul(dy, x, true, transposeA) : tf.matMul(x, dy, !transposeA, false),
  };
}

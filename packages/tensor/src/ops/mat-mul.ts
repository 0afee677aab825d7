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

/** Swaps the last two axes. */
function transposeLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** Right operands from this many bytes up are worth keeping out of XNNPACK's cache. */
const CACHED_OPERAND_BYTES = 1 << 20;

interface EngineWithVariables {
  state: { registeredVariables: Record<string, tf.Variable> };
}

/**
 * XNNPACK packs a product's right operand into its own copy and keeps it, keyed by the operand's
 * storage, until that storage is freed: for a variable, forever. A frozen weight in a backward
 * product (dx = dy · W) would then sit in wasm's heap twice, and a model's whole base with it (1.2 GB
 * for GPT-2 medium, beyond any tensor count). A large operand stored in a variable goes in as a
 * transient copy instead, whose packing goes with it.
 */
function uncachedRight(b: tf.Tensor): tf.Tensor {
  if (b.size * 4 < CACHED_OPERAND_BYTES) return b;
  const variables = (tf.engine() as unknown as EngineWithVariables).state.registeredVariables;
  const stored = Object.values(variables).some((variable) => variable.dataId === b.dataId);
  return stored ? tf.mul(b, tf.scalar(1)) : b;
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
      // With C = op(a)·op(b): d op(a) = dy·op(b)ᵀ and d op(b) = op(a)ᵀ·dy. Each is written so it
      // transposes at most one operand (op(op(x)ᵀ) is x itself).
      return {
        a: () =>
          transposeA
            ? plainProduct(transposeB ? transposeLast(savedB) : savedB, transposeLast(upstream))
            : plainProduct(upstream, transposeB ? savedB : transposeLast(savedB)),
        b: () =>
          transposeB
            ? plainProduct(transposeLast(upstream), transposeA ? transposeLast(savedA) : savedA)
            : plainProduct(transposeA ? savedA : transposeLast(savedA), upstream),
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
  if (autocastPrecision() === 'f32') return fastProduct(a, b, transposeA, transposeB);
  // As PyTorch's autocast: 16-bit operands in, the product rounded to 16 bits out.
  return tf.tidy(() =>
    autocastOperand(fastProduct(autocastOperand(a), autocastOperand(b), transposeA, transposeB)),
  );
}

function fastProduct<R extends tf.Rank>(
  a: tf.Tensor<R>,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor<R> {
  // Broadcast batch axes keep TF.js's own product, whose gradient sums over them.
  const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((size, i) => size === b.shape[i]);
  // With a few rows (generating one token at a time) copying a large operand costs more than it saves.
  const rows = a.shape[transposeA ? a.rank - 1 : a.rank - 2] ?? 0;
  const slowPaths = tf.getBackend() === 'wasm' && !blasProductsActive();
  if (!slowPaths || a.rank < 2 || !sameBatch || rows < FEW_ROWS) {
    return tf.matMul(a, b, transposeA, transposeB) as tf.Tensor<R>;
  }
  return explicitProduct(a, b, transposeA, transposeB) as tf.Tensor<R>;
}

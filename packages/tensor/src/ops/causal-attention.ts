/**
 * Causal self-attention, softmax(q·kᵀ·scale + causal mask)·v, with an optional dropout mask on the
 * weights, as one operation. Where the backend has the fused kernels (WebGPU) the (T × T) weights are
 * never written to memory, forward or backward; elsewhere it composes TF.js primitives.
 */
import { HalfTensor } from '../half/half-tensor.js';
import { narrowsOnDevice, narrowToHalf } from '../half/narrow-half.js';
import { widenHalf } from '../half/widen-half.js';
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { type AutocastPrecision, autocastOperand, autocastPrecision } from './autocast.js';
import { hasFusedKernel, runFused } from './fused.js';

export interface CausalAttentionOptions {
  /** Multiplies the scores, usually 1/√headDim. */
  scale: number;
  /** Applied to the weights after softmax: 0 drops a weight, 1/(1 − p) keeps it. (…, T, T) */
  dropoutMask?: tf.Tensor;
}

/** Whether {@link causalAttention} runs fused (without the T × T weights) on the active backend. */
export function fusedAttentionAvailable(): boolean {
  return hasFusedKernel(fusedKernelNames.causalAttention);
}

type Attention = (...inputs: tf.Tensor[]) => tf.Tensor;

/**
 * The fused kernels as an op. Under 16-bit autocast q, k and v come in rounded, so the backward pass
 * keeps them in 16 bits (exactly) and widens them when it runs.
 */
function fusedOp(scale: number, precision: AutocastPrecision): Attention {
  return tf.customGrad((...args) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [q, k, v, mask] = args.slice(0, -1) as tf.Tensor[];
    const inputs = { q: q as tf.Tensor, k: k as tf.Tensor, v: v as tf.Tensor, ...(mask ? { mask } : {}) };
    const [out, lse] = runFused(fusedKernelNames.causalAttention, inputs, { scale }) as [
      tf.Tensor,
      tf.Tensor,
    ];
    const narrow = precision !== 'f32' && narrowsOnDevice() ? precision : undefined;
    const operands = [q, k, v] as tf.Tensor[];
    const kept = narrow ? operands.map((x) => narrowToHalf(x, narrow).words) : operands;
    save([...kept, out, lse, ...(mask ? [mask] : [])]);
    return {
      value: out,
      gradFunc: (dy, saved) => {
        const [keptQ, keptK, keptV, sOut, sLse, sMask] = saved as tf.Tensor[];
        const [sq, sk, sv] = [keptQ, keptK, keptV].map((x, i) =>
          narrow ? widenHalf(new HalfTensor(x as tf.Tensor, (operands[i] as tf.Tensor).shape, narrow)) : x,
        );
        const grads = runFused(
          fusedKernelNames.causalAttentionGrad,
          {
            q: sq as tf.Tensor,
            k: sk as tf.Tensor,
            v: sv as tf.Tensor,
            out: sOut as tf.Tensor,
            dOut: dy as tf.Tensor,
            lse: sLse as tf.Tensor,
            ...(sMask ? { mask: sMask } : {}),
          },
          { scale },
        );
        // The mask is a constant: its gradient is never used.
        return sMask ? [...grads, tf.zerosLike(sMask)] : grads;
      },
    };
  }) as Attention;
}

function composed(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: CausalAttentionOptions): tf.Tensor {
  return tf.tidy(() => {
    const t = q.shape[q.shape.length - 2] as number;
    const scores = tf.matMul(tf.mul(q, options.scale), k, false, true); // (…, T, T)
    const visible = tf.cast(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 'bool');
    const masked = tf.where(visible, scores, tf.fill(scores.shape, Number.NEGATIVE_INFINITY));
    let weights = tf.softmax(masked, -1);
    if (options.dropoutMask != null) weights = tf.mul(weights, options.dropoutMask);
    return tf.matMul(weights, v);
  });
}

const fusedOps = new Map<string, Attention>();

/**
 * q, k, v (…, T, headDim) → (…, T, headDim): every query sees its own and earlier positions only.
 * Under {@link autocast} in 16 bits, q, k and v are rounded going in and the context coming out (as
 * PyTorch's `scaled_dot_product_attention` under autocast); the scores and softmax inside stay float32,
 * as a fused kernel keeps them.
 */
export function causalAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: CausalAttentionOptions,
): tf.Tensor {
  if (autocastPrecision() === 'f32') return attention(q, k, v, options);
  return tf.tidy(() =>
    autocastOperand(attention(autocastOperand(q), autocastOperand(k), autocastOperand(v), options)),
  );
}

function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: CausalAttentionOptions): tf.Tensor {
  if (!fusedAttentionAvailable()) return composed(q, k, v, options);
  const precision = autocastPrecision();
  const key = `${options.scale} ${precision}`;
  let op = fusedOps.get(key);
  if (op == null) {
    op = fusedOp(options.scale, precision);
    fusedOps.set(key, op);
  }
  return options.dropoutMask ? op(q, k, v, options.dropoutMask) : op(q, k, v);
}

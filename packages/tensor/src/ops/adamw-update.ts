/**
 * One AdamW update of one parameter (PyTorch's semantics, scalars computed by the caller):
 *   p ← p·decay − stepSize · m / (√v / correction2Sqrt + eps)
 * with m ← β1·m + (1 − β1)·g and v ← β2·v + (1 − β2)·g². Where the backend has the fused kernel
 * (WebGPU, wasm and so blas) it is one pass over the four tensors; elsewhere a composition of TF.js
 * primitives.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

export interface AdamWScalars {
  decay: number;
  beta1: number;
  beta2: number;
  correction2Sqrt: number;
  eps: number;
  stepSize: number;
}

/** A type alias, not an interface, so `tf.tidy` accepts it as a tensor container. */
export type AdamWUpdate = { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor };

export function adamwUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  s: AdamWScalars,
): AdamWUpdate {
  return tf.tidy(() => {
    const g = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
    if (hasFusedKernel(fusedKernelNames.adamw)) {
      const [newParam, newM, newV] = runFused(fusedKernelNames.adamw, { param, grad: g, m, v }, { ...s });
      return { param: newParam as tf.Tensor, m: newM as tf.Tensor, v: newV as tf.Tensor };
    }
    const decayed = tf.mul(param, s.decay);
    const newM = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
    const newV = tf.add(tf.mul(v, s.beta2), tf.mul(tf.mul(g, g), 1 - s.beta2));
    const denom = tf.add(tf.div(tf.sqrt(newV), s.correction2Sqrt), s.eps);
    return { param: tf.sub(decayed, tf.mul(tf.div(newM, denom), s.stepSize)), m: newM, v: newV };
  });
}

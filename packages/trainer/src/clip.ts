/**
 * Global-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_`: the L2 norm of every gradient
 * together; when it exceeds `maxNorm`, every gradient is scaled by `maxNorm / (norm + 1e-6)`.
 */
import { tf } from '@scratchgpt/tensor';
import { entriesOf, type Gradients } from './named-tensors.js';

export interface ClippedGradients {
  /** New tensors, by the same names: the caller disposes them (and still owns the inputs). */
  grads: Map<string, tf.Tensor>;
  /** The global norm before clipping; read it with `await norm.data()`, then dispose it. */
  norm: tf.Scalar;
}

export function clipGradNorm(grads: Gradients, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be a number > 0, got ${maxNorm}`);
  const entries = entriesOf(grads);
  // tf.tidy keeps tensors returned in arrays and plain objects, not in a Map: build the Map after.
  const { clipped, norm } = tf.tidy(() => {
    if (entries.length === 0) return { clipped: [] as tf.Tensor[], norm: tf.scalar(0) };
    // The norm of the per-tensor norms, as PyTorch computes it.
    const total = tf.norm(tf.stack(entries.map(([, grad]) => tf.norm(grad)))) as tf.Scalar;
    // Clamped at 1: below the limit the gradients pass unchanged.
    const scale = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
    return { clipped: entries.map(([, grad]) => tf.mul(grad, scale)), norm: total };
  });
  return { grads: new Map(entries.map(([name], i) => [name, clipped[i] as tf.Tensor])), norm };
}

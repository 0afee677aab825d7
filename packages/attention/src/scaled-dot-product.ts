import type { Dropout, tf as TF } from '@scratchgpt/tensor';
import { tf } from '@scratchgpt/tensor';

/** A type alias, not an interface, so `tf.tidy` accepts it as a tensor container. */
export type AttentionResult = {
  /** Context vectors: (..., Tq, d_v). */
  context: TF.Tensor;
  /** Attention weights after softmax (before dropout): (..., Tq, Tk). */
  weights: TF.Tensor;
};

/**
 * softmax(q kᵀ / √d_k + mask) v, the step every attention class shares. Dropout, when given, applies to
 * the weights used for the context (the returned weights are the undropped ones, for display).
 */
export function scaledDotProductAttention(
  queries: TF.Tensor,
  keys: TF.Tensor,
  values: TF.Tensor,
  options: { mask?: TF.Tensor; dropout?: Dropout } = {},
): AttentionResult {
  return tf.tidy(() => {
    const keyDim = keys.shape[keys.shape.length - 1] as number;
    let scores = tf.div(tf.matMul(queries, keys, false, true), Math.sqrt(keyDim)); // (..., Tq, Tk)
    if (options.mask != null) scores = tf.add(scores, options.mask);
    const weights = tf.softmax(scores, -1);
    const used = options.dropout == null ? weights : options.dropout.forward(weights);
    return { context: tf.matMul(used, values), weights };
  });
}

import type { Dropout, tf as TF } from '@scratchgpt/tensor';
import { addBroadcast, matMul, tf } from '@scratchgpt/tensor';

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
    // Scaling the queries rather than the scores: the same product, but the gradient then keeps the
    // (smaller) queries instead of a second copy of the (T × T) scores.
    let scores = matMul(tf.mul(queries, 1 / Math.sqrt(keyDim)), keys, false, true); // (..., Tq, Tk)
    if (options.mask != null) scores = addBroadcast(scores, options.mask);
    const weights = tf.softmax(scores, -1);
    const used = options.dropout == null ? weights : options.dropout.forward(weights);
    return { context: matMul(used, values), weights };
  });
}

/**
 * Chapter 3's first attention: no trainable weights. Every token's context vector is the average of all
 * token vectors, weighted by the softmax of their dot products with it. Inputs: (T, d).
 */
import { matMul, tf } from '@scratchgpt/tensor';

/** ω: the dot product of every input with one query vector. inputs (T, d), query (d) → (T) */
export function attentionScores(inputs: tf.Tensor2D, query: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(matMul(inputs, tf.reshape(query, [-1, 1])), [-1]));
}

/** Scores divided by their sum: the simplest normalisation, before softmax replaces it. */
export function normalizeBySum(scores: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(scores, tf.sum(scores, -1, true)));
}

/** exp(x) / Σ exp(x) as written, without subtracting the maximum (it overflows for large x). */
export function naiveSoftmax(scores: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const exps = tf.exp(scores);
    return tf.div(exps, tf.sum(exps, -1, true));
  });
}

/** Σᵢ wᵢ xᵢ: the context vector for one query. weights (T), inputs (T, d) → (d) */
export function contextVector(weights: tf.Tensor1D, inputs: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(matMul(tf.reshape(weights, [1, -1]), inputs), [-1]));
}

export type SimplifiedAttention = {
  /** (T, T): row i holds how much token i attends to each token. */
  weights: tf.Tensor2D;
  /** (T, d): one context vector per token. */
  context: tf.Tensor2D;
};

/** All context vectors at once: softmax(X Xᵀ) X. */
export function simplifiedSelfAttention(inputs: tf.Tensor2D): SimplifiedAttention {
  return tf.tidy(() => {
    const scores = matMul(inputs, inputs, false, true); // (T, T)
    const weights = tf.softmax(scores, -1) as tf.Tensor2D;
    return { weights, context: matMul(weights, inputs) };
  });
}

import { tf } from '@scratchgpt/tensor';

/**
 * An additive causal mask: 0 where token i may see token j (j ≤ i), −∞ above the diagonal, so softmax
 * gives future tokens zero weight. (contextLength, contextLength)
 */
export function causalMask(contextLength: number): tf.Tensor2D {
  const values = new Float32Array(contextLength * contextLength);
  for (let i = 0; i < contextLength; i++) {
    for (let j = i + 1; j < contextLength; j++) values[i * contextLength + j] = Number.NEGATIVE_INFINITY;
  }
  return tf.tensor2d(values, [contextLength, contextLength]);
}

/** The mask rows for queries at positions offset..offset+queries-1 over keys 0..offset+queries-1. */
export function maskFor(mask: tf.Tensor2D, queries: number, offset: number): tf.Tensor2D {
  const contextLength = mask.shape[0];
  if (offset + queries > contextLength) {
    throw new RangeError(
      `Attention over ${offset + queries} tokens exceeds the context length ${contextLength}: crop the input ` +
        'to the last contextLength tokens',
    );
  }
  return tf.slice(mask, [offset, 0], [queries, offset + queries]);
}

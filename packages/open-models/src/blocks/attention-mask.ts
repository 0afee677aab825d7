import { tf } from '@scratchgpt/tensor';

/**
 * The additive mask for queries at positions offset..offset+queries-1 over keys firstKey..offset+queries-1
 * (firstKey > 0 where a windowed KV cache has dropped earlier keys): 0 where the query may look, −∞ at
 * later keys and, with a sliding `window`, at keys `window` or more positions back (each token then sees
 * itself and the window − 1 before it). (queries, keys)
 */
export function attentionMask(queries: number, offset: number, window?: number, firstKey = 0): tf.Tensor2D {
  const keys = offset + queries - firstKey;
  const values = new Float32Array(queries * keys);
  for (let row = 0; row < queries; row++) {
    const position = offset + row;
    for (let column = 0; column < keys; column++) {
      const key = firstKey + column;
      const tooFarBack = window !== undefined && position - key >= window;
      if (key > position || tooFarBack) values[row * keys + column] = Number.NEGATIVE_INFINITY;
    }
  }
  return tf.tensor2d(values, [queries, keys]);
}

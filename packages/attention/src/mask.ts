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

/**
 * A causal mask built at the length calls need, not the whole context up front: a model with a long
 * context keeps (tokens used)² entries per layer, not context². It grows (doubling, up to the context
 * length) when a longer call comes, so generation with a KV cache rebuilds it a few times, not once a
 * token.
 */
export class CausalMask {
  #mask: tf.Tensor2D | undefined;

  constructor(readonly contextLength: number) {}

  /** The mask rows for queries at positions offset..offset+queries-1 over keys 0..offset+queries-1. */
  rows(queries: number, offset: number): tf.Tensor2D {
    const needed = offset + queries;
    if (needed > this.contextLength) {
      throw new RangeError(
        `Attention over ${needed} tokens exceeds the context length ${this.contextLength}: crop the input ` +
          'to the last contextLength tokens',
      );
    }
    if (this.#mask == null || this.#mask.shape[0] < needed) {
      const size = Math.min(this.contextLength, Math.max(needed, 2 * (this.#mask?.shape[0] ?? 0), 64));
      this.#mask?.dispose();
      // Kept: the first call may come from inside a caller's tf.tidy.
      this.#mask = tf.keep(causalMask(size));
    }
    return tf.slice(this.#mask, [offset, 0], [queries, needed]);
  }

  dispose(): void {
    this.#mask?.dispose();
    this.#mask = undefined;
  }
}

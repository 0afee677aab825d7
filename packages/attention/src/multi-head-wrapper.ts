import { Module, ModuleList, tf } from '@scratchgpt/tensor';
import { CausalAttention, type CausalAttentionOptions } from './causal-attention.js';
import type { AttentionResult } from './scaled-dot-product.js';

/** `CausalAttention`'s options, each head's: the result has numHeads · dOut features. */
export interface MultiHeadAttentionWrapperOptions extends CausalAttentionOptions {
  numHeads: number;
}

/**
 * Several independent causal heads run side by side, their outputs concatenated: the book's first,
 * simple multi-head attention. Inputs: (B, T, dIn) → (B, T, numHeads · dOut).
 */
export class MultiHeadAttentionWrapper extends Module {
  readonly heads: ModuleList<CausalAttention>;

  constructor(options: MultiHeadAttentionWrapperOptions) {
    super();
    const { numHeads, ...head } = options;
    this.heads = this.registerModule(
      'heads',
      new ModuleList(Array.from({ length: numHeads }, () => new CausalAttention(head))),
    );
  }

  /** weights: (B, numHeads, T, T) */
  forwardWithWeights(x: tf.Tensor): AttentionResult {
    return tf.tidy(() => {
      const results = [...this.heads].map((head) => head.forwardWithWeights(x));
      return {
        context: tf.concat(
          results.map((r) => r.context),
          -1,
        ),
        weights: tf.stack(
          results.map((r) => r.weights),
          1,
        ),
      };
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forwardWithWeights(x).context);
  }
}

import { Dropout, type Generator, Linear, Module, tf } from '@scratchgpt/tensor';
import { CausalMask } from './mask.js';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';

export interface CausalAttentionOptions {
  dIn: number;
  dOut: number;
  contextLength: number;
  /** Dropout on the attention weights while training. */
  dropout: number;
  qkvBias?: boolean;
  generator?: Generator;
}

/**
 * One head of causal self-attention: token i sees tokens 0..i only. Inputs: (B, T, dIn) → (B, T, dOut).
 */
export class CausalAttention extends Module {
  readonly dOut: number;
  readonly wQuery: Linear;
  readonly wKey: Linear;
  readonly wValue: Linear;
  readonly dropout: Dropout;
  readonly #mask: CausalMask;

  constructor(options: CausalAttentionOptions) {
    super();
    this.dOut = options.dOut;
    const generator = options.generator ? { generator: options.generator } : {};
    const linear = { bias: options.qkvBias ?? false, ...generator };
    this.wQuery = this.registerModule('W_query', new Linear(options.dIn, options.dOut, linear));
    this.wKey = this.registerModule('W_key', new Linear(options.dIn, options.dOut, linear));
    this.wValue = this.registerModule('W_value', new Linear(options.dIn, options.dOut, linear));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout, generator));
    this.#mask = new CausalMask(options.contextLength);
  }

  forwardWithWeights(x: tf.Tensor): AttentionResult {
    return tf.tidy(() => {
      const tokens = x.shape[1] as number;
      return scaledDotProductAttention(this.wQuery.forward(x), this.wKey.forward(x), this.wValue.forward(x), {
        mask: this.#mask.rows(tokens, 0),
        dropout: this.dropout,
      });
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forwardWithWeights(x).context);
  }

  override dispose(): void {
    this.#mask.dispose();
    super.dispose();
  }
}

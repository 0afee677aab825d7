import { type Generator, Linear, Module, tf } from '@scratchgpt/tensor';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';

/** Self-attention with `Linear` projections (PyTorch's init). Inputs: (..., T, dIn) → (..., T, dOut). */
export class SelfAttentionV2 extends Module {
  readonly wQuery: Linear;
  readonly wKey: Linear;
  readonly wValue: Linear;

  constructor(
    readonly dIn: number,
    readonly dOut: number,
    options: { qkvBias?: boolean; generator?: Generator } = {},
  ) {
    super();
    const linear = {
      bias: options.qkvBias ?? false,
      ...(options.generator ? { generator: options.generator } : {}),
    };
    this.wQuery = this.registerModule('W_query', new Linear(dIn, dOut, linear));
    this.wKey = this.registerModule('W_key', new Linear(dIn, dOut, linear));
    this.wValue = this.registerModule('W_value', new Linear(dIn, dOut, linear));
  }

  forwardWithWeights(x: tf.Tensor): AttentionResult {
    return tf.tidy(() =>
      scaledDotProductAttention(this.wQuery.forward(x), this.wKey.forward(x), this.wValue.forward(x)),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forwardWithWeights(x).context);
  }
}

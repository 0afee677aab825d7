import { type Generator, getDefaultGenerator, Module, matMul, randUniform, tf } from '@scratchgpt/tensor';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';

/**
 * Self-attention with trainable weight matrices W_query, W_key, W_value of shape (dIn, dOut), initialised
 * uniform in [0, 1) as the book does with `torch.rand`. Inputs: (T, dIn) → context (T, dOut).
 */
export class SelfAttentionV1 extends Module {
  readonly wQuery: tf.Variable;
  readonly wKey: tf.Variable;
  readonly wValue: tf.Variable;

  constructor(
    readonly dIn: number,
    readonly dOut: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    const generator = options.generator ?? getDefaultGenerator();
    this.wQuery = this.registerParameter('W_query', randUniform([dIn, dOut], 0, 1, generator));
    this.wKey = this.registerParameter('W_key', randUniform([dIn, dOut], 0, 1, generator));
    this.wValue = this.registerParameter('W_value', randUniform([dIn, dOut], 0, 1, generator));
  }

  forwardWithWeights(x: tf.Tensor): AttentionResult {
    return tf.tidy(() =>
      scaledDotProductAttention(matMul(x, this.wQuery), matMul(x, this.wKey), matMul(x, this.wValue)),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forwardWithWeights(x).context);
  }
}

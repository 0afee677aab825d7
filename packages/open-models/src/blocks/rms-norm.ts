import { Module, tf } from '@scratchgpt/tensor';

/**
 * Root-mean-square normalisation over the last axis: x / √(mean(x²) + eps), then a learned per-feature
 * scale. Unlike LayerNorm it neither centres nor shifts. Gemma stores its scale as an offset from one
 * (`unitOffset`: the output is multiplied by 1 + weight, and the weight starts at zero).
 */
export class RMSNorm extends Module {
  readonly weight: tf.Variable;

  constructor(
    readonly dim: number,
    readonly eps: number,
    readonly unitOffset = false,
  ) {
    super();
    this.weight = this.registerParameter('weight', unitOffset ? tf.zeros([dim]) : tf.ones([dim]));
  }

  /** (..., dim) → (..., dim) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const meanSquare = tf.mean(tf.square(x), -1, true);
      const normed = tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.eps)));
      return tf.mul(normed, this.unitOffset ? tf.add(this.weight, 1) : this.weight);
    });
  }
}

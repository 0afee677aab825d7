import { Module, tf } from '@scratchgpt/tensor';

/**
 * Normalises each vector to mean 0 and variance 1 over its last axis, then scales and shifts it with
 * learned `scale` and `shift`. The variance is the biased one (divide by n), as GPT-2 and PyTorch use.
 */
export class LayerNorm extends Module {
  readonly scale: tf.Variable;
  readonly shift: tf.Variable;

  constructor(
    readonly embDim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.scale = this.registerParameter('scale', tf.ones([embDim]));
    this.shift = this.registerParameter('shift', tf.zeros([embDim]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      const normalized = tf.div(centered, tf.sqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normalized, this.scale), this.shift);
    });
  }
}

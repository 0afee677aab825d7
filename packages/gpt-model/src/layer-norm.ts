import { Module, tf } from '@scratchgpt/tensor';

/**
 * Normalises each vector to mean 0 and variance 1 over its last axis, then scales and shifts it with
 * learned `scale` and `shift`. The variance is the biased one (divide by n), as GPT-2 and PyTorch use.
 *
 * One operation with its own gradient, which keeps only the input for the backward pass (composed from
 * primitives it would keep half a dozen copies of it):
 *   x̂ = (x − μ)·r with r = 1/√(σ² + ε);  dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale
 */
export class LayerNorm extends Module {
  readonly scale: tf.Variable;
  readonly shift: tf.Variable;
  readonly #op: (x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor) => tf.Tensor;

  constructor(
    readonly embDim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.scale = this.registerParameter('scale', tf.ones([embDim]));
    this.shift = this.registerParameter('shift', tf.zeros([embDim]));
    const normalize = (x: tf.Tensor) => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      return tf.div(centered, tf.sqrt(tf.add(variance, eps)));
    };
    this.#op = tf.customGrad((...args) => {
      const [x, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([x, scale]);
      return {
        value: tf.tidy(() => tf.add(tf.mul(normalize(x), scale), shift)),
        gradFunc: (dy, saved) =>
          tf.tidy(() => {
            const [input, savedScale] = saved as [tf.Tensor, tf.Tensor];
            const upstream = dy as tf.Tensor;
            const centered = tf.sub(input, tf.mean(input, -1, true));
            const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
            const normalized = tf.mul(centered, rstd);
            const g = tf.mul(upstream, savedScale);
            const dx = tf.mul(
              rstd,
              tf.sub(
                tf.sub(g, tf.mean(g, -1, true)),
                tf.mul(normalized, tf.mean(tf.mul(g, normalized), -1, true)),
              ),
            );
            const leading = [...Array(input.rank - 1).keys()];
            return [dx, tf.sum(tf.mul(upstream, normalized), leading), tf.sum(upstream, leading)];
          }),
      };
    }) as unknown as (x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor) => tf.Tensor;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.#op(x, this.scale, this.shift);
  }
}

import { layerNorm, Module, tf } from '@scratchgpt/tensor';

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
    return layerNorm(x, this.scale, this.shift, this.eps);
  }
}

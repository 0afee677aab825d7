import { type Generator, getDefaultGenerator } from '../random.js';
import { tf } from '../tf.js';
import { Module } from './module.js';

/** x·mask with a gradient that keeps only the mask (not x as well, as a plain product would). */
const applyMask = tf.customGrad((...args) => {
  const [x, mask, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([mask]);
  return {
    value: tf.mul(x, mask),
    gradFunc: (dy, saved) => [tf.mul(dy as tf.Tensor, (saved as [tf.Tensor])[0]), tf.zerosLike(mask)],
  };
}) as unknown as (x: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

/**
 * Zeroes each element with probability p while training and scales the rest by 1/(1-p), so eval needs
 * no rescaling. The mask comes from a seeded generator, so a seed reproduces a run on every backend.
 */
export class Dropout extends Module {
  readonly #generator: Generator | undefined;

  constructor(
    readonly p: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout probability must be in [0, 1], got ${p}`);
    this.#generator = options.generator;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return tf.zerosLike(x);
    return tf.tidy(() => applyMask(x, this.sampleMask(x.shape) as tf.Tensor));
  }

  /**
   * The mask `forward` would multiply a tensor of this shape by (0 or 1/(1-p) each, drawing the same
   * random numbers), for an op that applies it itself; null when dropout is off.
   */
  sampleMask(shape: readonly number[]): tf.Tensor | null {
    if (!this.training || this.p === 0) return null;
    const size = shape.reduce((a, b) => a * b, 1);
    if (this.p === 1) return tf.zeros([...shape]);
    const generator = this.#generator ?? getDefaultGenerator();
    const keep = 1 - this.p;
    const scale = 1 / keep;
    const mask = new Float32Array(size);
    for (let i = 0; i < mask.length; i++) mask[i] = generator.random() < keep ? scale : 0;
    return tf.tensor(mask, [...shape], 'float32');
  }
}

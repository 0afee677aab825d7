import { tf } from '@scratchgpt/tensor';
import { checkPositionRange } from './positions.js';
import { checkLlama3Scaling, type Llama3RotaryScaling, scaleLlama3Frequency } from './rotary-scaling.js';

export interface RotaryOptions {
  /** Llama 3's frequency scaling (absent: the plain frequencies base^(-2i/headDim)). */
  scaling?: Llama3RotaryScaling;
  /**
   * Linear position scaling: every angle is taken at position / linearFactor (Gemma 3's global layers
   * in its larger models, factor 8). Absent: 1.
   */
  linearFactor?: number;
}

/**
 * Rotary position embedding (RoPE): rotates each pair of query/key features by an angle that grows with
 * the position, so attention scores depend on relative distance. Pairs are the two halves of a head
 * (the "rotate half" arrangement). Applied to queries and keys inside attention, not added to inputs.
 */
export class RotaryEmbedding {
  readonly #cos: tf.Tensor2D;
  readonly #sin: tf.Tensor2D;

  constructor(
    readonly headDim: number,
    readonly contextLength: number,
    readonly base = 10000,
    options: RotaryOptions = {},
  ) {
    if (headDim % 2 !== 0)
      throw new RangeError(`Rotary embeddings need an even head dimension, got ${headDim}`);
    if (options.scaling) checkLlama3Scaling(options.scaling);
    const { linearFactor = 1 } = options;
    if (!Number.isFinite(linearFactor) || linearFactor <= 0) {
      throw new RangeError(`Rotary scaling: linearFactor must be a positive number, got ${linearFactor}`);
    }
    const half = headDim / 2;
    const frequencies = Array.from({ length: half }, (_, i) => {
      const frequency = base ** (-(2 * i) / headDim);
      // Dividing the frequency, as transformers does, rounds as the reference does.
      return (options.scaling ? scaleLlama3Frequency(frequency, options.scaling) : frequency) / linearFactor;
    });
    const cos = new Float32Array(contextLength * half);
    const sin = new Float32Array(contextLength * half);
    for (let position = 0; position < contextLength; position++) {
      for (let i = 0; i < half; i++) {
        const angle = position * (frequencies[i] as number);
        cos[position * half + i] = Math.cos(angle);
        sin[position * half + i] = Math.sin(angle);
      }
    }
    this.#cos = tf.tensor2d(cos, [contextLength, half]);
    this.#sin = tf.tensor2d(sin, [contextLength, half]);
  }

  /** x: (batch, heads, length, headDim) at positions offset.. → the same shape, rotated. */
  rotate(x: tf.Tensor, offset = 0): tf.Tensor {
    const length = x.shape[2] as number;
    checkPositionRange(offset, length, this.contextLength);
    return tf.tidy(() => {
      const half = this.headDim / 2;
      const cos = tf.slice(this.#cos, [offset, 0], [length, half]); // (T, half), broadcast over B, H
      const sin = tf.slice(this.#sin, [offset, 0], [length, half]);
      const [first, second] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
      return tf.concat(
        [tf.sub(tf.mul(first, cos), tf.mul(second, sin)), tf.add(tf.mul(second, cos), tf.mul(first, sin))],
        -1,
      );
    });
  }

  dispose(): void {
    tf.dispose([this.#cos, this.#sin]);
  }
}

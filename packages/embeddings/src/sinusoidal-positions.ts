import { Module, tf } from '@scratchgpt/tensor';
import { type AdditivePositions, checkPositionRange } from './positions.js';

/**
 * The fixed encoding of "Attention Is All You Need": even dimensions sin(p / 10000^(2i/d)), odd ones
 * cos(…). No parameters; an option for models that should generalise past trained positions.
 */
export function sinusoidalTable(contextLength: number, dim: number): Float32Array {
  const table = new Float32Array(contextLength * dim);
  for (let position = 0; position < contextLength; position++) {
    for (let i = 0; i < dim; i += 2) {
      const angle = position / 10000 ** (i / dim);
      table[position * dim + i] = Math.sin(angle);
      if (i + 1 < dim) table[position * dim + i + 1] = Math.cos(angle);
    }
  }
  return table;
}

export class SinusoidalPositionalEmbedding extends Module implements AdditivePositions {
  readonly #table: tf.Tensor2D;

  constructor(
    readonly contextLength: number,
    readonly embeddingDim: number,
  ) {
    super();
    this.#table = tf.tensor2d(sinusoidalTable(contextLength, embeddingDim), [contextLength, embeddingDim]);
  }

  /** → (length, embeddingDim) */
  forward(length: number, offset = 0): tf.Tensor {
    checkPositionRange(offset, length, this.contextLength);
    return tf.slice(this.#table, [offset, 0], [length, this.embeddingDim]);
  }

  override dispose(): void {
    this.#table.dispose();
    super.dispose();
  }
}

import { type Generator, getDefaultGenerator, Module, randNormal, tf } from '@scratchgpt/tensor';
import { type AdditivePositions, checkPositionRange } from './positions.js';

/** The book's learned absolute position embedding: a `[contextLength, dim]` table, N(0, 1) at start. */
export class PositionalEmbedding extends Module implements AdditivePositions {
  readonly weight: tf.Variable;

  constructor(
    readonly contextLength: number,
    readonly embeddingDim: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    const generator = options.generator ?? getDefaultGenerator();
    this.weight = this.registerParameter(
      'weight',
      randNormal([contextLength, embeddingDim], 0, 1, generator),
    );
  }

  /** → (length, embeddingDim) */
  forward(length: number, offset = 0): tf.Tensor {
    checkPositionRange(offset, length, this.contextLength);
    return tf.slice(this.weight, [offset, 0], [length, this.embeddingDim]);
  }
}

import { type Generator, getDefaultGenerator, randNormal, type tf } from '@scratchgpt/tensor';
import { ShardedTable, type ShardedTableOptions } from './sharded-table.js';

export interface TokenEmbeddingOptions extends ShardedTableOptions {
  generator?: Generator;
}

/**
 * Token ids → vectors, initialised N(0, 1) like PyTorch's `nn.Embedding`. Its table can also serve as a
 * tied output head through `project`.
 */
export class TokenEmbedding extends ShardedTable {
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: TokenEmbeddingOptions = {},
  ) {
    const generator = options.generator ?? getDefaultGenerator();
    super(
      numEmbeddings,
      embeddingDim,
      (rows) => randNormal([rows, embeddingDim], 0, 1, generator),
      options,
      (rows, precision) => generator.normalHalf([rows, embeddingDim], 0, 1, precision),
    );
  }

  /** ids: int32 (...) → (..., embeddingDim) */
  forward(ids: tf.Tensor): tf.Tensor {
    return this.lookup(ids);
  }
}

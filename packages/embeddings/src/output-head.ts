import { type Generator, getDefaultGenerator, randUniform, type tf } from '@scratchgpt/tensor';
import { ShardedTable, type ShardedTableOptions } from './sharded-table.js';

export interface OutputHeadOptions extends ShardedTableOptions {
  generator?: Generator;
}

/**
 * The untied output head: vectors → vocabulary logits, a bias-free Linear with weight `[vocab, dim]`
 * (PyTorch's init, uniform in ±1/√dim), sharded like the token table it mirrors.
 */
export class OutputHead extends ShardedTable {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: OutputHeadOptions = {},
  ) {
    const generator = options.generator ?? getDefaultGenerator();
    const bound = 1 / Math.sqrt(inFeatures);
    super(
      outFeatures,
      inFeatures,
      (rows) => randUniform([rows, inFeatures], -bound, bound, generator),
      options,
      (rows, precision) => generator.uniformHalf([rows, inFeatures], -bound, bound, precision),
    );
  }

  /** x: (..., inFeatures) → logits (..., outFeatures) */
  forward(x: tf.Tensor): tf.Tensor {
    return this.project(x);
  }
}

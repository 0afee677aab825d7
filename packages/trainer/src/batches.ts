/**
 * What the training loop needs from data and model, as structural types: a `DataLoader` from
 * @scratchgpt/data-loader and a `GPTModel` from @scratchgpt/gpt-model fit them, and so does anything
 * shaped like them.
 */
import type { HalfTensor, Module, tf } from '@scratchgpt/tensor';
import type { SizedBatch } from './objective.js';

/** One language-model batch as host data, row-major `[batchSize, length]`. */
export interface TrainBatch extends SizedBatch {
  inputs: Int32Array;
  targets: Int32Array;
}

/** Batches numbered within an epoch; the same (epoch, batch) always gives the same batch. */
export interface BatchSource<B extends SizedBatch = TrainBatch> {
  /** Batches per epoch. */
  readonly length: number;
  /** Rows per batch (a last batch may have fewer). */
  readonly batchSize: number;
  /** Positions per row when every batch has the same (fixed windows, padded texts); else undefined. */
  readonly maxLength?: number | undefined;
  batches(epoch?: number, startBatch?: number): Iterable<B>;
}

/** A module mapping token ids (B, T) to logits (B, T, vocab). */
export interface LanguageModel extends Module {
  forward(ids: tf.Tensor): tf.Tensor;
  /**
   * Optional, together: the hidden states before the output head (B, T, D) and the head's weight as row
   * shards, float32 or 16-bit. With both, the loss is computed without ever holding all the logits
   * (`linearCrossEntropy`); no shards mean the logits come from `forward`.
   */
  hiddenStates?(ids: tf.Tensor): tf.Tensor;
  outputWeights?(): readonly tf.Tensor[] | readonly HalfTensor[];
}

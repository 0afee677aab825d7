/**
 * What a training loop minimises, for one kind of batch. The loop, gradient accumulation and
 * evaluation reach the model only through it, so fine-tuning plugs into the same loop: a class head
 * on labelled texts, instruction data with ignored targets.
 */
import type { Module, tf } from '@scratchgpt/tensor';

/** The least the loop needs of a batch: its shape, to count the tokens seen. */
export interface SizedBatch {
  /** Rows in the batch. */
  batchSize: number;
  /** Positions per row. */
  length: number;
}

export interface Objective<M extends Module, B extends SizedBatch> {
  /**
   * The batch's loss as a scalar the caller disposes: the mean over its counted targets (what a step
   * differentiates), or their sum (what an evaluation adds up).
   */
  loss(model: M, batch: B, reduction: 'mean' | 'sum'): tf.Scalar;
  /** How many targets the mean is over: micro-batches and evaluation batches weigh this much. */
  countTargets(batch: B): number;
}

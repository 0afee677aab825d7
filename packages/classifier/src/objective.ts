/**
 * Classification as an objective of the trainer's loop: the cross-entropy of the class logits against
 * the labels, counted per example. `trainModel`, `evaluateModel` and `calcLossLoader` then run
 * fine-tuning as they run pretraining: AdamW, schedule, clipping, accumulation, resume and all.
 */
import { tf } from '@scratchgpt/tensor';
import { crossEntropy, type Objective } from '@scratchgpt/trainer';
import type { ClassificationBatch } from './data/loader.js';
import type { GPTClassifier } from './model/gpt-classifier.js';

/** A batch's class logits (B, classes); the caller disposes them. */
export function classLogits(model: GPTClassifier, batch: ClassificationBatch): tf.Tensor {
  return tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputs, [batch.batchSize, batch.length], 'int32'); // (B, T)
    return model.forward(ids, batch.lengths);
  });
}

/** The book's `calc_loss_batch` for classification: mean (or summed) cross-entropy over the batch. */
export function classificationLoss(
  model: GPTClassifier,
  batch: ClassificationBatch,
  reduction: 'mean' | 'sum' = 'mean',
): tf.Scalar {
  return tf.tidy(() =>
    crossEntropy(classLogits(model, batch), tf.tensor1d(batch.labels, 'int32'), { reduction }),
  );
}

export function classificationObjective(): Objective<GPTClassifier, ClassificationBatch> {
  return {
    loss: (model, batch, reduction) => classificationLoss(model, batch, reduction),
    countTargets: (batch) => batch.batchSize,
  };
}

import { tf } from '@scratchgpt/tensor';
import type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
import { crossEntropy } from './cross-entropy.js';
import { linearCrossEntropy } from './linear-cross-entropy.js';

export interface LossOptions {
  ignoreIndex?: number;
}

function batchTensors(batch: TrainBatch): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.length];
  return {
    inputs: tf.tensor2d(batch.inputs, shape, 'int32'),
    targets: tf.tensor2d(batch.targets, shape, 'int32'),
  };
}

/** Targets that count towards the loss (all but `ignoreIndex`). */
export function countTargets(batch: TrainBatch, ignoreIndex = -100): number {
  let count = 0;
  for (const target of batch.targets) if (target !== ignoreIndex) count++;
  return count;
}

/**
 * The next-token cross-entropy of a model on token ids: fused with the output head when the model
 * exposes it (the logits are never whole), else over `model.forward`'s logits.
 */
export function languageModelLoss(
  model: LanguageModel,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  options: { ignoreIndex?: number; reduction?: 'mean' | 'sum' } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const settings = { ignoreIndex: options.ignoreIndex ?? -100, reduction: options.reduction ?? 'mean' };
    if (model.hiddenStates && model.outputWeights) {
      const hidden = model.hiddenStates(inputs); // (B, T, D)
      const dim = hidden.shape[hidden.rank - 1] as number;
      return linearCrossEntropy(
        tf.reshape(hidden, [-1, dim]),
        model.outputWeights(),
        tf.reshape(targets, [-1]),
        settings,
      );
    }
    return crossEntropy(model.forward(inputs), targets, settings);
  });
}

/** The book's `calc_loss_batch`: mean next-token cross-entropy of one batch. The caller disposes it. */
export function calcLossBatch(model: LanguageModel, batch: TrainBatch, options: LossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { inputs, targets } = batchTensors(batch);
    return languageModelLoss(model, inputs, targets, options);
  });
}

export interface LoaderLoss {
  /** Mean cross-entropy over every counted target (NaN when there were none). */
  loss: number;
  /** Targets counted. */
  tokens: number;
  batches: number;
}

/**
 * The book's `calc_loss_loader`, as a mean over tokens rather than over batches: a short last batch then
 * weighs what its tokens weigh, so the result does not depend on the batch size. Runs in the model's
 * current mode (call `model.eval()` first for an evaluation).
 */
export async function calcLossLoader(
  model: LanguageModel,
  source: BatchSource,
  options: LossOptions & { numBatches?: number; epoch?: number } = {},
): Promise<LoaderLoss> {
  const limit = Math.min(options.numBatches ?? source.length, source.length);
  let total = 0;
  let tokens = 0;
  let batches = 0;
  for (const batch of source.batches(options.epoch ?? 0)) {
    if (batches >= limit) break;
    const sum = tf.tidy(() => {
      const { inputs, targets } = batchTensors(batch);
      return languageModelLoss(model, inputs, targets, { ...options, reduction: 'sum' });
    });
    total += (await sum.data())[0] as number;
    sum.dispose();
    tokens += countTargets(batch, options.ignoreIndex);
    batches++;
  }
  return { loss: tokens === 0 ? Number.NaN : total / tokens, tokens, batches };
}

/** The book's `evaluate_model`: losses on the first `evalBatches` batches of each loader, in eval mode. */
export async function evaluateModel(
  model: LanguageModel,
  train: BatchSource,
  validation: BatchSource | undefined,
  evalBatches?: number,
): Promise<{ trainLoss: number; valLoss: number | null }> {
  const wasTraining = model.training;
  model.eval();
  try {
    const limit = evalBatches == null ? {} : { numBatches: evalBatches };
    const trainLoss = (await calcLossLoader(model, train, limit)).loss;
    const valLoss = validation == null ? null : (await calcLossLoader(model, validation, limit)).loss;
    return { trainLoss, valLoss };
  } finally {
    model.train(wasTraining);
  }
}

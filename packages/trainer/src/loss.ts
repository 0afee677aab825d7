/**
 * The next-token loss of a language model, as the book's `calc_loss_batch`, `calc_loss_loader` and
 * `evaluate_model`, and as the training loop's default objective.
 */
import { IGNORE_INDEX, type Module, tf } from '@scratchgpt/tensor';
import type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
import { crossEntropy } from './cross-entropy.js';
import { linearCrossEntropy } from './linear-cross-entropy.js';
import type { Objective, SizedBatch } from './objective.js';

export interface LossOptions {
  /** A target equal to this counts for nothing (default -100, PyTorch's). */
  ignoreIndex?: number;
  /**
   * How the output head meets the loss. 'fused' (the default where the model exposes `hiddenStates` and
   * `outputWeights`) computes the head inside the loss in chunks and never holds all the logits;
   * 'logits' is the book's path: `model.forward` gives every logit, then the cross-entropy. Both give
   * the same loss and gradients.
   */
  head?: 'fused' | 'logits';
}

/** A batch as int32 tensors `[batchSize, length]`; the caller disposes them. */
export function batchTensors(batch: TrainBatch): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.length];
  return {
    inputs: tf.tensor2d(batch.inputs, shape, 'int32'),
    targets: tf.tensor2d(batch.targets, shape, 'int32'),
  };
}

/** Targets that count towards the loss (all but `ignoreIndex`). */
export function countTargets(batch: TrainBatch, ignoreIndex = IGNORE_INDEX): number {
  let count = 0;
  for (const target of batch.targets) if (target !== ignoreIndex) count++;
  return count;
}

/** The next-token cross-entropy of a model on token ids (B, T) and their targets (B, T). */
export function languageModelLoss(
  model: LanguageModel,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  options: LossOptions & { reduction?: 'mean' | 'sum' } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const settings = {
      ignoreIndex: options.ignoreIndex ?? IGNORE_INDEX,
      reduction: options.reduction ?? 'mean',
    };
    const weights =
      options.head !== 'logits' && model.hiddenStates != null ? model.outputWeights?.() : undefined;
    if (weights == null || weights.length === 0)
      return crossEntropy(model.forward(inputs), targets, settings);
    const hidden = model.hiddenStates!(inputs); // (B, T, D)
    const dim = hidden.shape[hidden.rank - 1] as number;
    return linearCrossEntropy(
      tf.reshape(hidden, [-1, dim]), // (B·T, D)
      weights,
      tf.reshape(targets, [-1]), // (B·T)
      settings,
    );
  });
}

/** The training loop's default: next-token prediction with ignored targets. */
export function languageModelObjective(options: LossOptions = {}): Objective<LanguageModel, TrainBatch> {
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  return {
    loss: (model, batch, reduction) =>
      tf.tidy(() => {
        const { inputs, targets } = batchTensors(batch);
        return languageModelLoss(model, inputs, targets, { ...options, reduction });
      }),
    countTargets: (batch) => countTargets(batch, ignoreIndex),
  };
}

/** The book's `calc_loss_batch`: mean next-token cross-entropy of one batch. The caller disposes it. */
export function calcLossBatch(model: LanguageModel, batch: TrainBatch, options: LossOptions = {}): tf.Scalar {
  return languageModelObjective(options).loss(model, batch, 'mean');
}

export interface LoaderLoss {
  /** Mean loss over every counted target (NaN when there were none). */
  loss: number;
  /** Targets counted. */
  tokens: number;
  batches: number;
}

export interface LoaderLossOptions<M extends Module, B extends SizedBatch> extends LossOptions {
  /** Batches to read (default: all of the epoch). */
  numBatches?: number;
  epoch?: number;
  /** The loss to average (default: the language-model objective, with this object's `LossOptions`). */
  objective?: Objective<M, B>;
  /** Stops between batches; the result then covers the batches read. */
  signal?: AbortSignal;
}

/**
 * The book's `calc_loss_loader`, as a mean over targets rather than over batches: a short last batch
 * then weighs what its targets weigh, so the result does not depend on the batch size. Runs in the
 * model's current mode (call `model.eval()` first for an evaluation).
 */
export async function calcLossLoader<M extends Module = LanguageModel, B extends SizedBatch = TrainBatch>(
  model: M,
  source: BatchSource<B>,
  options: LoaderLossOptions<M, B> = {},
): Promise<LoaderLoss> {
  const batches = lossOverBatches(model, source, options);
  for (let next = await batches.next(); ; next = await batches.next()) if (next.done) return next.value;
}

/** `calcLossLoader` as a stream: yields after each batch (batches read, batches to read), returns the loss. */
export async function* lossOverBatches<M extends Module, B extends SizedBatch>(
  model: M,
  source: BatchSource<B>,
  options: LoaderLossOptions<M, B> = {},
): AsyncGenerator<{ done: number; total: number }, LoaderLoss> {
  const objective = options.objective ?? defaultObjective<M, B>(options);
  const total = Math.min(options.numBatches ?? source.length, source.length);
  let sum = 0;
  let tokens = 0;
  let batches = 0;
  for (const batch of source.batches(options.epoch ?? 0)) {
    if (batches >= total || options.signal?.aborted) break;
    const loss = objective.loss(model, batch, 'sum');
    sum += (await loss.data())[0] as number;
    loss.dispose();
    tokens += objective.countTargets(batch);
    batches++;
    yield { done: batches, total };
  }
  return { loss: tokens === 0 ? Number.NaN : sum / tokens, tokens, batches };
}

/**
 * The language-model objective for a loop or loader given none. Its batches must be `TrainBatch`es
 * and its model a `LanguageModel`; other data needs an objective of its own.
 */
export function defaultObjective<M extends Module, B extends SizedBatch>(
  options: LossOptions = {},
): Objective<M, B> {
  return languageModelObjective(options) as unknown as Objective<M, B>;
}

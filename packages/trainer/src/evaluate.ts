/** The book's `evaluate_model`: the mean loss on the first batches of each loader, in eval mode. */
import type { Module } from '@scratchgpt/tensor';
import type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
import { lossOverBatches } from './loss.js';
import type { Objective, SizedBatch } from './objective.js';

export interface EvaluateOptions<M extends Module, B extends SizedBatch> {
  /** Batches of each loader to read (default: all). */
  evalBatches?: number;
  objective?: Objective<M, B>;
  /** Stops between batches: the result is then `null`. */
  signal?: AbortSignal;
}

export type Evaluation = { trainLoss: number; valLoss: number | null };

export async function evaluateModel<M extends Module = LanguageModel, B extends SizedBatch = TrainBatch>(
  model: M,
  train: BatchSource<B>,
  validation: BatchSource<B> | undefined,
  options: EvaluateOptions<M, B> = {},
): Promise<Evaluation | null> {
  const stream = evaluationStream(model, train, validation, options);
  for (let next = await stream.next(); ; next = await stream.next()) if (next.done) return next.value;
}

/**
 * `evaluateModel` as a stream: yields as it starts and after each batch (batches read of both loaders,
 * and their total), returns the losses, or `null` when the signal stopped it part-way.
 */
export async function* evaluationStream<M extends Module, B extends SizedBatch>(
  model: M,
  train: BatchSource<B>,
  validation: BatchSource<B> | undefined,
  options: EvaluateOptions<M, B> = {},
): AsyncGenerator<{ done: number; total: number }, Evaluation | null> {
  const limit = (source: BatchSource<B>) => Math.min(options.evalBatches ?? source.length, source.length);
  const total = limit(train) + (validation ? limit(validation) : 0);
  async function* lossOn(source: BatchSource<B>, before: number) {
    const batches = lossOverBatches(model, source, {
      numBatches: limit(source),
      ...(options.objective ? { objective: options.objective } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (let next = await batches.next(); ; next = await batches.next()) {
      if (next.done) return next.value.loss;
      yield { done: before + next.value.done, total };
    }
  }
  const wasTraining = model.training;
  model.eval();
  try {
    yield { done: 0, total };
    const trainLoss = yield* lossOn(train, 0);
    const valLoss = validation == null ? null : yield* lossOn(validation, limit(train));
    return options.signal?.aborted ? null : { trainLoss, valLoss };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * One training run as worker messages: the trainer's events become `step`, `progress`, `eval` and
 * `trained` (`trainMessages` in the protocol says which fields each keeps). The run keeps its data and optimizer snapshot so "Resume" continues exactly where "Stop"
 * left it.
 */

import type { AutocastPrecision } from '@scratchgpt/tensor';
import {
  type BatchSource,
  type LanguageModel,
  type TrainEvent,
  type TrainingSnapshot,
  trainModel,
} from '@scratchgpt/trainer';
import { type FromWorker, type TrainMessage, trainMessages } from '../protocol.js';

/** Batches of each split an evaluation reads: enough for a steady curve, few enough to stay quick. */
const evalBatches = 2;

export interface TrainingRun {
  /** Text windows, or instruction batches. */
  data: { train: BatchSource; validation?: BatchSource | undefined };
  lr: number;
  evalEvery: number;
  /** A new run's precision (a resumed one keeps its own); default f32. */
  precision?: AutocastPrecision;
  /** Saved when the run stops or ends; `undefined` until then. */
  snapshot?: TrainingSnapshot;
}

export async function runTraining(
  model: LanguageModel,
  run: TrainingRun,
  steps: number,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  const resume = run.snapshot;
  const events = trainModel({
    model,
    train: run.data.train,
    ...(run.data.validation ? { validation: run.data.validation } : {}),
    lr: run.lr,
    maxSteps: (resume?.state.step ?? 0) + steps,
    evalEvery: run.evalEvery,
    evalBatches,
    signal,
    ...(resume ? { resume } : run.precision ? { precision: run.precision } : {}),
    saveCheckpoint: async (snapshot) => {
      run.snapshot = snapshot;
      return 'memory';
    },
  });
  // The trainer yields to the event loop after every step, so a "stop" message gets in between steps.
  for await (const event of events) {
    const message = trainMessage(event);
    if (message) post(message);
  }
}

/** The message the page gets for a trainer's event, if it gets one. */
export function trainMessage(event: TrainEvent): TrainMessage | undefined {
  if (!Object.hasOwn(trainMessages, event.event)) return undefined;
  const { type, fields } = trainMessages[event.event as keyof typeof trainMessages];
  const values = event as unknown as Record<string, unknown>;
  // The table's types say which fields these are: `TrainMessage` is derived from the same table.
  return Object.fromEntries([
    ['type', type],
    ...fields.map((field) => [field, values[field]]),
  ]) as TrainMessage;
}

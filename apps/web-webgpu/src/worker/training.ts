/**
 * One training run as worker messages: the trainer's events become `step`, `progress`, `eval` and
 * `trained`. The run keeps its data and optimizer snapshot so "Resume" continues exactly where "Stop"
 * left it.
 */
import type { GPTModel } from '@scratchgpt/gpt-model';
import { type BatchSource, type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import type { FromWorker } from '../protocol.js';

/** Batches of each split an evaluation reads: enough for a steady curve, few enough to stay quick. */
const evalBatches = 2;

export interface TrainingRun {
  /** Text windows, or instruction batches. */
  data: { train: BatchSource; validation?: BatchSource | undefined };
  lr: number;
  evalEvery: number;
  /** Saved when the run stops or ends; `undefined` until then. */
  snapshot?: TrainingSnapshot;
}

export async function runTraining(
  model: GPTModel,
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
    ...(resume ? { resume } : {}),
    saveCheckpoint: async (snapshot) => {
      run.snapshot = snapshot;
      return 'memory';
    },
  });
  // The trainer yields to the event loop after every step, so a "stop" message gets in between steps.
  for await (const event of events) {
    switch (event.event) {
      case 'step':
        post({
          type: 'step',
          step: event.step,
          loss: event.loss,
          tokensPerSec: event.tokensPerSec,
          tokensSeen: event.tokensSeen,
        });
        break;
      case 'progress':
        post({
          type: 'progress',
          step: event.step,
          phase: event.phase,
          done: event.done,
          total: event.total,
        });
        break;
      case 'eval':
        post({ type: 'eval', step: event.step, trainLoss: event.trainLoss, valLoss: event.valLoss });
        break;
      case 'done':
        post({ type: 'trained', step: event.step, reason: event.reason });
        break;
    }
  }
}

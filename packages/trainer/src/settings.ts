/**
 * A run's settings: chosen once from the options when it starts, then saved with its state and kept
 * when it resumes (only its length may change), so a resumed run continues the same schedule on
 * the same batches.
 */
import { type AutocastPrecision, autocastPrecisions } from '@scratchgpt/tensor';
import type { BatchSource } from './batches.js';
import type { SizedBatch } from './objective.js';
import { type TrainingState, TrainingStateError, type TrainSettings } from './training-state.js';

/** The options a run's settings come from (a subset of `TrainOptions`). */
export interface SettingsOptions {
  lr?: number;
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
  epochs?: number;
  maxSteps?: number;
  warmupSteps?: number;
  initialLr?: number;
  minLr?: number;
  gradClip?: number;
  gradAccum?: number;
  evalEvery?: number;
  /**
   * Products in 'f16' or 'bf16' (PyTorch's autocast; 'f16' with dynamic loss scaling) or 'f32' (the
   * default); weights, moments and updates stay float32.
   */
  precision?: AutocastPrecision;
}

/**
 * The largest float32: the update runs in float32, where a larger rate is an infinity and every weight
 * it touches becomes NaN.
 */
export const FLOAT32_MAX = 3.4028234663852886e38;

export function newSettings(options: SettingsOptions, train: BatchSource<SizedBatch>): TrainSettings {
  const lr = options.lr ?? 4e-4;
  if (!(lr > 0 && lr <= FLOAT32_MAX))
    throw new RangeError(`lr must be a number > 0 within float32's range, got ${lr}`);
  const eps = options.eps ?? 1e-8;
  if (!(eps > 0 && eps <= FLOAT32_MAX))
    throw new RangeError(
      `eps must be a number > 0 (with 0, a weight without gradient becomes 0 / 0), got ${eps}`,
    );
  const gradAccum = positiveInteger('gradAccum', options.gradAccum ?? 1);
  const epochs = positiveInteger(
    'epochs',
    options.epochs ?? (options.maxSteps != null ? Number.MAX_SAFE_INTEGER : 1),
  );
  const stepsPerEpoch = Math.ceil(train.length / gradAccum);
  const byEpochs = epochs === Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : epochs * stepsPerEpoch;
  const totalSteps = Math.min(
    byEpochs,
    options.maxSteps == null ? byEpochs : positiveInteger('maxSteps', options.maxSteps),
  );
  const warmupSteps = options.warmupSteps ?? 0;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    throw new RangeError(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  if (options.gradClip != null && !(options.gradClip > 0))
    throw new RangeError(`gradClip must be > 0, got ${options.gradClip}`);
  const cosine = warmupSteps > 0 || options.minLr != null;
  const precision = options.precision ?? 'f32';
  if (!autocastPrecisions.includes(precision))
    throw new RangeError(`precision must be one of ${autocastPrecisions.join(', ')}, got ${precision}`);
  return {
    lr,
    weightDecay: options.weightDecay ?? 0.1,
    betas: options.betas ?? [0.9, 0.999],
    eps,
    warmupSteps,
    initialLr: options.initialLr ?? (cosine ? 0 : lr),
    minLr: options.minLr ?? (cosine ? 0 : lr),
    schedule: cosine ? 'cosine' : 'constant',
    gradClip: options.gradClip ?? null,
    gradAccum,
    totalSteps,
    epochs,
    evalEvery: nonNegativeInteger('evalEvery', options.evalEvery ?? 0),
    batchSize: train.batchSize,
    maxLength: train.maxLength ?? null,
    precision,
  };
}

/**
 * A resumed run keeps its settings and its batches. It may be given more epochs or steps, another
 * evaluation interval, and new optimizer settings (a lower rate, clipping: what a run that diverged
 * needs), which apply from the next step on. Batches of another size or length, or another number of
 * micro-batches per step, would not continue the same run.
 */
export function continuedSettings(
  saved: TrainSettings,
  options: SettingsOptions,
  train: BatchSource<SizedBatch>,
): TrainSettings {
  const maxLength = train.maxLength ?? null;
  if (saved.batchSize !== train.batchSize || saved.maxLength !== maxLength) {
    throw new RangeError(
      `The run was saved training on batches of ${describeBatches(saved.batchSize, saved.maxLength)}, but the ` +
        `data given now has batches of ${describeBatches(train.batchSize, maxLength)}: resume with the ` +
        'batch size and length it was saved with',
    );
  }
  if (options.gradAccum != null && options.gradAccum !== saved.gradAccum) {
    throw new RangeError(
      `The run was saved with ${saved.gradAccum} micro-batches per step; resume with the same gradAccum`,
    );
  }
  const settings = { ...saved, precision: saved.precision ?? 'f32' };
  if (options.precision != null && options.precision !== settings.precision) {
    throw new RangeError(
      `The run was saved training in ${settings.precision}; resume it in the same precision, not ${options.precision}`,
    );
  }
  if (options.lr != null) settings.lr = newSettings({ lr: options.lr }, train).lr;
  if (options.weightDecay != null) settings.weightDecay = options.weightDecay;
  if (options.gradClip != null)
    settings.gradClip = newSettings({ gradClip: options.gradClip }, train).gradClip;
  if (options.warmupSteps != null || options.minLr != null || options.initialLr != null) {
    const schedule = newSettings({ ...options, lr: settings.lr }, train);
    Object.assign(settings, {
      warmupSteps: schedule.warmupSteps,
      initialLr: schedule.initialLr,
      minLr: schedule.minLr,
      schedule: schedule.schedule,
    });
  }
  if (options.epochs != null) {
    settings.epochs = positiveInteger('epochs', options.epochs);
    settings.totalSteps = settings.epochs * Math.ceil(train.length / settings.gradAccum);
  }
  if (options.maxSteps != null) settings.totalSteps = positiveInteger('maxSteps', options.maxSteps);
  if (options.evalEvery != null) settings.evalEvery = nonNegativeInteger('evalEvery', options.evalEvery);
  return settings;
}

/**
 * A saved position past the end of an epoch never came from a run on this data: the data loader
 * would fail on it with a message about its own arguments.
 */
export function checkResumePosition(state: TrainingState, train: BatchSource<SizedBatch>): void {
  if (state.batchInEpoch > train.length) {
    throw new TrainingStateError(
      `The training state is at batch ${state.batchInEpoch} of its epoch, but an epoch of the data given has ` +
        `${train.length} batches: the state is damaged, or was saved training on other data`,
    );
  }
}

function describeBatches(batchSize: number, maxLength: number | null): string {
  return maxLength == null ? `${batchSize} rows of varying length` : `${batchSize} × ${maxLength}`;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name} must be an integer ≥ 0, got ${value}`);
  return value;
}

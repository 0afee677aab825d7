/**
 * Checks a training state read from a file, field by field, before a run resumes from it: a damaged or
 * edited file is one error naming the field and what it must be, never a run that hangs, trains zero
 * steps, or resets part of the optimizer without a word.
 */
import { jsonPreview } from '@scratchgpt/tensor';
import { FLOAT32_MAX } from './settings.js';
import type { TrainingState } from './training-state.js';

/** Throws `make(problem)` for the first field that is wrong; returns the state typed. */
export function checkTrainingState(value: unknown, make: (problem: string) => Error): TrainingState {
  const fail = (path: string, must: string, got: unknown): never => {
    throw make(`"${path}" must be ${must}, got ${jsonPreview(got)}`);
  };
  const record = (path: string, item: unknown): Record<string, unknown> => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) fail(path, 'an object', item);
    return item as Record<string, unknown>;
  };
  const integer = (path: string, item: unknown, min = 0): number => {
    if (!Number.isSafeInteger(item) || (item as number) < min) fail(path, `an integer ≥ ${min}`, item);
    return item as number;
  };
  const number = (path: string, item: unknown, ok: (n: number) => boolean, must: string): number => {
    if (typeof item !== 'number' || !Number.isFinite(item) || !ok(item)) fail(path, must, item);
    return item as number;
  };
  const rate = (path: string, item: unknown) => number(path, item, (n) => n >= 0, 'a finite number ≥ 0');
  // Float32 settings whose update must be NaN outside (0, FLOAT32_MAX]: an infinite rate, and eps 0
  // (0 / 0 for every weight without a gradient).
  const positiveFloat32 = (path: string, item: unknown) =>
    number(path, item, (n) => n > 0 && n <= FLOAT32_MAX, "a number > 0 within float32's range");

  const state = record('state', value);
  if (state.version !== 2) {
    throw make(
      `it is training-state version ${jsonPreview(state.version)}; this scratchgpt reads version 2 (start the run again, or train on from its weights)`,
    );
  }
  const step = integer('step', state.step);
  const epoch = integer('epoch', state.epoch);
  integer('batchInEpoch', state.batchInEpoch);
  integer('tokensSeen', state.tokensSeen);
  const rng = state.rng;
  if (
    !Array.isArray(rng) ||
    rng.length !== 4 ||
    !rng.every((word) => Number.isInteger(word) && word >= 0 && word < 2 ** 32) ||
    rng.every((word) => word === 0)
  ) {
    fail('rng', 'four unsigned 32-bit integers, not all zero', rng);
  }

  const settings = record('settings', state.settings);
  positiveFloat32('settings.lr', settings.lr);
  rate('settings.weightDecay', settings.weightDecay);
  const betas = settings.betas;
  if (
    !Array.isArray(betas) ||
    betas.length !== 2 ||
    !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)
  ) {
    fail('settings.betas', 'two numbers in [0, 1)', betas);
  }
  positiveFloat32('settings.eps', settings.eps);
  integer('settings.warmupSteps', settings.warmupSteps);
  rate('settings.initialLr', settings.initialLr);
  rate('settings.minLr', settings.minLr);
  if (settings.schedule !== 'cosine' && settings.schedule !== 'constant') {
    fail('settings.schedule', '"cosine" or "constant"', settings.schedule);
  }
  if (settings.gradClip !== null)
    number('settings.gradClip', settings.gradClip, (n) => n > 0, 'null or a number > 0');
  integer('settings.gradAccum', settings.gradAccum, 1);
  const totalSteps = integer('settings.totalSteps', settings.totalSteps, 1);
  const epochs = integer('settings.epochs', settings.epochs, 1);
  integer('settings.evalEvery', settings.evalEvery);
  integer('settings.batchSize', settings.batchSize, 1);
  if (settings.maxLength !== null) integer('settings.maxLength', settings.maxLength, 1);
  // States saved before mixed precision trained in float32.
  settings.precision ??= 'f32';
  if (!['f32', 'f16', 'bf16'].includes(settings.precision as string)) {
    fail('settings.precision', '"f32", "f16" or "bf16"', settings.precision);
  }
  if (state.lossScaler !== undefined) {
    const scaler = record('lossScaler', state.lossScaler);
    positiveFloat32('lossScaler.scale', scaler.scale);
    integer('lossScaler.growthTracker', scaler.growthTracker);
  }
  // Every epoch takes at least one step: a position beyond that never came from a run.
  if (epoch > step || epoch > epochs)
    fail('epoch', `at most the steps done (${step}) and the epochs (${epochs})`, epoch);
  if (step > totalSteps) fail('step', `at most settings.totalSteps (${totalSteps})`, step);

  const optimizer = record('optimizer', state.optimizer);
  integer('optimizer.step', optimizer.step);
  number(
    'optimizer.lr',
    optimizer.lr,
    (n) => n >= 0 && n <= FLOAT32_MAX,
    "a number ≥ 0 within float32's range",
  );
  const parameterSteps = record('optimizer.parameterSteps', optimizer.parameterSteps);
  for (const [name, count] of Object.entries(parameterSteps)) {
    integer(`optimizer.parameterSteps.${name.slice(0, 100)}`, count);
  }

  const history = record('history', state.history);
  const list = (path: string, item: unknown): Record<string, unknown>[] => {
    if (!Array.isArray(item)) fail(path, 'a list', item);
    return (item as unknown[]).map((entry, i) => record(`${path}[${i}]`, entry));
  };
  list('history.steps', history.steps).forEach((entry, i) => {
    integer(`history.steps[${i}].step`, entry.step, 1);
    integer(`history.steps[${i}].tokensSeen`, entry.tokensSeen);
    number(`history.steps[${i}].loss`, entry.loss, () => true, 'a finite number');
    rate(`history.steps[${i}].lr`, entry.lr);
  });
  list('history.evals', history.evals).forEach((entry, i) => {
    integer(`history.evals[${i}].step`, entry.step);
    integer(`history.evals[${i}].tokensSeen`, entry.tokensSeen);
    if (entry.trainLoss !== null)
      number(`history.evals[${i}].trainLoss`, entry.trainLoss, () => true, 'a number');
    if (entry.valLoss !== null)
      number(`history.evals[${i}].valLoss`, entry.valLoss, () => true, 'null or a number');
  });
  return state as unknown as TrainingState;
}

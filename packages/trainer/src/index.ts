export {
  AdamW,
  type AdamWMoments,
  type AdamWOptions,
  type AdamWState,
  type HostAdamWMoments,
  type HostAdamWState,
} from './adamw.js';
export {
  DeviceMomentStore,
  type HostMoment,
  HostMomentStore,
  type MomentStore,
  preferredMomentsLocation,
} from './adamw-moments.js';
export type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
export { type ClippedGradients, clipGradNorm } from './clip.js';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './cross-entropy.js';
export { type EvaluateOptions, type Evaluation, evaluateModel, evaluationStream } from './evaluate.js';
export { NonFiniteWeightsError } from './finite-check.js';
export { GradientAccumulator, type GradientAccumulatorOptions } from './gradient-accumulator.js';
export { computeGradients, type LossAndGradients } from './gradients.js';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './linear-cross-entropy.js';
export {
  batchTensors,
  calcLossBatch,
  calcLossLoader,
  countTargets,
  type LoaderLoss,
  type LoaderLossOptions,
  type LossOptions,
  languageModelLoss,
  languageModelObjective,
  lossOverBatches,
} from './loss.js';
export { LossScaler, type LossScalerOptions, type LossScalerState } from './loss-scaler.js';
export type { Gradients } from './named-tensors.js';
export type { Objective, SizedBatch } from './objective.js';
export { type LrSchedule, lrAtStep } from './schedule.js';
export type { SettingsOptions } from './settings.js';
export { NonFiniteLossError, type TrainEvent, type TrainOptions, trainModel } from './train.js';
export {
  type EvalRecord,
  hostAdamWStateOf,
  parseTrainingState,
  type StepRecord,
  serializeTrainingState,
  TRAINING_STATE_FILE,
  type TrainingHistory,
  type TrainingSnapshot,
  type TrainingState,
  TrainingStateError,
  type TrainSettings,
} from './training-state.js';

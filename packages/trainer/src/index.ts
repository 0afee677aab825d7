export {
  AdamW,
  type AdamWMoments,
  type AdamWOptions,
  type AdamWState,
  type HostAdamWMoments,
  type HostAdamWState,
  type HostMoment,
  preferredMomentsLocation,
} from './adamw.js';
export type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
export { type ClippedGradients, clipGradNorm } from './clip.js';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './cross-entropy.js';
export {
  computeGradients,
  GradientAccumulator,
  HostGradientAccumulator,
  type LossAndGradients,
} from './gradients.js';
export { type LinearCrossEntropyOptions, linearCrossEntropy } from './linear-cross-entropy.js';
export {
  calcLossBatch,
  calcLossLoader,
  countTargets,
  evaluateModel,
  type LoaderLoss,
  type LossOptions,
  languageModelLoss,
} from './loss.js';
export type { Gradients } from './named-tensors.js';
export { type LrSchedule, lrAtStep } from './schedule.js';
export { NonFiniteLossError, type TrainEvent, type TrainOptions, trainModel } from './train.js';
export {
  type EvalRecord,
  hostAdamWStateOf,
  parseTrainingState,
  type StepRecord,
  serializeTrainingState,
  type TrainingHistory,
  type TrainingSnapshot,
  type TrainingState,
  TrainingStateError,
  type TrainSettings,
} from './training-state.js';

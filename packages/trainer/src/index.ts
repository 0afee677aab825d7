export {
  AdamW,
  type AdamWMoments,
  type AdamWOptions,
  type AdamWState,
} from './adamw.js';
export { type ClippedGradients, clipGradNorm } from './clip.js';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './cross-entropy.js';
export { computeGradients, GradientAccumulator, type LossAndGradients } from './gradients.js';
export type { Gradients } from './named-tensors.js';
export { type LrSchedule, lrAtStep } from './schedule.js';

/** 16-bit weight storage (f16, bf16) and the ops that read it. */
export { gatherHalf } from './gather-half.js';
export { emptyHalfTensor, HalfTensor, halfTensor, toHalf } from './half-tensor.js';
export { type MatMulHalfOptions, matMulHalf } from './mat-mul-half.js';
export { narrowsOnDevice, narrowToHalf } from './narrow-half.js';
export {
  type HalfPrecision,
  isHalfPrecision,
  type StoragePrecision,
  storagePrecisions,
} from './precision.js';
export { HalfRangeError, roundedToHalf } from './rounding.js';
export { widenHalf } from './widen-half.js';

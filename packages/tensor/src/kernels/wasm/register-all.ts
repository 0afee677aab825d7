/**
 * Kernels TF.js's wasm backend lacks or that it runs wastefully, written against its heap; each file
 * says why:
 * - `UnsortedSegmentSum` (missing), the gradient of every embedding lookup;
 * - `Identity` and `Transpose` share their input's data where TF.js copies it;
 * - `Slice` and `SplitV` read the heap in place where TF.js copies the whole input first;
 * - `_FusedMatMul` adds its bias after a transposed product, where TF.js's adds it wrongly;
 * - `ScratchGPTAdamW`, the optimizer's update in one pass, and `ScratchGPTSoftmaxCrossEntropy`, a loss
 *   and its gradient from one softmax;
 * - `ScratchGPTWidenHalf` and `ScratchGPTMatMulHalf`, products and lookups on 16-bit weights, and
 *   `ScratchGPTNarrowHalf`, which stores float32 values in 16 bits;
 * - `ScratchGPTRoundToPrecision`, mixed precision's rounding to 16 bits in one pass.
 */
import { type KernelPatch, registerPatch } from '../register.js';
import { adamwConfig } from './adamw.js';
import { fusedMatMulConfig } from './fused-mat-mul.js';
import { identityConfig } from './identity.js';
import { matMulHalfConfig } from './mat-mul-half.js';
import { narrowHalfConfig } from './narrow-half.js';
import { roundToPrecisionConfig } from './round-to-precision.js';
import { sliceConfig } from './slice.js';
import { softmaxCrossEntropyConfig } from './softmax-cross-entropy.js';
import { splitVConfig } from './split-v.js';
import { transposeConfig } from './transpose.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { widenHalfConfig } from './widen-half.js';

export const wasmKernelConfigs: readonly KernelPatch[] = [
  unsortedSegmentSumConfig,
  identityConfig,
  transposeConfig,
  sliceConfig,
  splitVConfig,
  fusedMatMulConfig,
  adamwConfig,
  softmaxCrossEntropyConfig,
  widenHalfConfig,
  narrowHalfConfig,
  matMulHalfConfig,
  roundToPrecisionConfig,
];

let registered = false;

/** Registers the list once; call after the wasm backend is imported. */
export function registerAllWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of wasmKernelConfigs) registerPatch(config);
}

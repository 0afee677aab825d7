/**
 * Kernels of ours on TF.js's cpu backend: `ScratchGPTWidenHalf` and `ScratchGPTNarrowHalf`, which 16-bit
 * tensors need everywhere.
 */
import { type KernelPatch, registerPatch } from '../register.js';
import { narrowHalfConfig } from './narrow-half.js';
import { widenHalfConfig } from './widen-half.js';

export const cpuKernelConfigs: readonly KernelPatch[] = [widenHalfConfig, narrowHalfConfig];

let registered = false;

/** Registers the list once; call after the cpu backend is imported. */
export function registerAllCpuKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of cpuKernelConfigs) registerPatch(config);
}

/** Kernels of ours on TF.js's cpu backend: `ScratchGPTWidenHalf`, which 16-bit weights need everywhere. */
import { type KernelPatch, registerPatch } from '../register.js';
import { widenHalfConfig } from './widen-half.js';

export const cpuKernelConfigs: readonly KernelPatch[] = [widenHalfConfig];

let registered = false;

/** Registers the list once; call after the cpu backend is imported. */
export function registerAllCpuKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of cpuKernelConfigs) registerPatch(config);
}

/**
 * The blas backend's kernels: wrappers around the wasm backend's products (registered after the wasm
 * list, so they wrap its `_FusedMatMul`) that hand them to BLAS while it is in use.
 */
import { type KernelPatch, registerPatch } from '../register.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { fusedMatMulConfig } from './fused-mat-mul.js';

export const blasKernelConfigs: readonly KernelPatch[] = [batchMatMulConfig, fusedMatMulConfig];

let registered = false;

/** Registers the list once (keeping the wrapped kernels' setup), so BLAS can take the products over. */
export function registerAllBlasKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of blasKernelConfigs) registerPatch(config);
}

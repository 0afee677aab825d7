import { useBlasProducts } from '../kernels/blas/products.js';
import { registerAllBlasKernels } from '../kernels/blas/register-all.js';
import { type BlasLibrary, loadBlas } from './blas/library.js';
import { isNode } from './environment.js';
import type { DeviceLimits, WasmPaths } from './types.js';
import { registerWasm, wasmLimits } from './wasm.js';

let library: BlasLibrary | undefined;

/**
 * Loads the `blas` backend: TF.js's wasm backend with its matrix products computed by the machine's
 * BLAS (Node only). The products switch over when {@link useBlas} turns them on.
 */
export async function registerBlas(
  loadKoffi: (() => Promise<unknown>) | undefined,
  wasmPaths: WasmPaths | undefined,
): Promise<void> {
  if (!isNode) throw new Error('the blas backend runs only under Node.js');
  library = await loadBlas(loadKoffi);
  await registerWasm(wasmPaths);
  registerAllBlasKernels();
}

/** Sends the wasm backend's products to BLAS (`true`, after {@link registerBlas}) or back to wasm. */
export function useBlas(on: boolean): void {
  useBlasProducts(on ? library?.sgemm : undefined);
}

/** wasm's limits, plus the BLAS in use: its library, kernel set and threads. */
export async function blasLimits(): Promise<DeviceLimits> {
  const limits = await wasmLimits();
  const info = library?.info;
  if (info == null) return limits;
  return {
    ...limits,
    details: {
      ...limits.details,
      blas: info.config,
      blasLibrary: info.library,
      blasCoreType: info.coreType,
      blasCoreTypeSource: info.coreTypeSource,
      blasThreads: info.threads,
    },
  };
}

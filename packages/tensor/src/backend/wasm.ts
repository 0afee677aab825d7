import { registerAllWasmKernels } from '../kernels/wasm/register-all.js';
import { tf } from '../tf.js';
import type { DeviceLimits, WasmPaths } from './types.js';

/** Loads TF.js's wasm backend and the kernels it lacks for training. */
export async function registerWasm(wasmPaths: WasmPaths | undefined): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (wasmPaths != null) wasm.setWasmPaths(wasmPaths);
  registerAllWasmKernels();
}

export async function wasmLimits(): Promise<DeviceLimits> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  // wasm32 addresses 4 GiB at most; TF.js's build grows its heap up to 2 GiB.
  return {
    maxBindingBytes: null,
    maxBufferBytes: 2 ** 31,
    details: { simd: Boolean(simd), threads: Boolean(threads) },
  };
}

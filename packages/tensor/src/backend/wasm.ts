import { registerAllWasmKernels } from '../kernels/wasm/register-all.js';
import { tf } from '../tf.js';
import type { DeviceLimits, WasmPaths } from './types.js';

/**
 * Loads TF.js's wasm backend and the kernels it lacks for training. `threads` sizes the thread pool of
 * the threaded build; it only counts before the backend first starts (TF.js keeps that instance).
 */
export async function registerWasm(wasmPaths: WasmPaths | undefined, threads?: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (wasmPaths != null) wasm.setWasmPaths(wasmPaths);
  if (threads != null) wasm.setThreadsCount(threads);
  registerAllWasmKernels();
}

/**
 * Runs `start` (the wasm backend's first start) so that the threaded build makes a pool of `threads`.
 * That build caps its pool at half of `navigator.hardwareConcurrency` (it takes each core to run two
 * hardware threads: one thread on a 2-core machine), read once while its module starts; so the count
 * reads doubled until then. The build's own limit, 8 threads, still holds.
 */
export async function withWasmThreads<T>(threads: number | undefined, start: () => Promise<T>): Promise<T> {
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  if (threads == null || !threaded || typeof navigator === 'undefined') return start();
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
  try {
    return await start();
  } finally {
    // The navigator's own getter again.
    Reflect.deleteProperty(navigator, 'hardwareConcurrency');
  }
}

/** Refuses a thread count the wasm build cannot use, before anything loads. */
export function checkWasmThreads(threads: number | undefined): void {
  if (threads == null || (Number.isInteger(threads) && threads >= 1)) return;
  throw new RangeError(
    `wasmThreads must be a whole number of threads, 1 or more (got ${threads}): pass navigator.hardwareConcurrency for every core, or leave it out`,
  );
}

export async function wasmLimits(): Promise<DeviceLimits> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  // The pool the running build made: 1 unless the threaded build runs (cross-origin isolated pages).
  const threadCount = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  // wasm32 addresses 4 GiB at most; TF.js's build grows its heap up to 2 GiB.
  return {
    maxBindingBytes: null,
    maxBufferBytes: 2 ** 31,
    details: { simd: Boolean(simd), threads: Boolean(threads), threadCount },
  };
}

/** The parts of TF.js's wasm backend (`BackendWasm`) our kernels use, all public at runtime. */
import type { tf } from '../../tf.js';

export interface WasmBackendLike {
  /**
   * The Emscripten module. The heap is `asm.memory`, exported by the one-thread builds, or
   * `wasmMemory`, the shared memory the threaded build makes and imports.
   */
  wasm: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  /** A new tensor on the heap. Allocating may grow the heap, which detaches every view taken before. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** Where a tensor's data starts in the heap, in bytes. */
  getMemoryOffset(dataId: tf.DataId): number;
  /** A view of a tensor's data in the heap (no copy). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
}

/** The backend a wasm kernel was called with. */
export function wasmBackend(backend: unknown): WasmBackendLike {
  return backend as WasmBackendLike;
}

/** The backend's heap, one-thread or shared (threaded build); null where neither is exposed. */
export function heapMemory(wasm: WasmBackendLike): WebAssembly.Memory | null {
  const memory = wasm.wasm.asm?.memory ?? wasm.wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

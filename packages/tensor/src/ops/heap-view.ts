/**
 * Direct access to tensor memory on the wasm backend, whose heap JavaScript can address: reading a
 * tensor without a copy, and updating a parameter in place. Updating in place matters there: replacing
 * a 150 MB parameter every step with a new allocation fragments a heap that stops at 4 GiB.
 */
import { tf } from '../tf.js';

interface WasmBackendLike {
  typedArrayFromHeap(info: {
    shape: number[];
    dtype: string;
    dataId: object;
  }): Float32Array | Int32Array | Uint8Array;
  refCount(dataId: object): number;
}

function wasmBackend(): WasmBackendLike | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackendLike) : undefined;
}

/** The float32 data of `t` itself (no copy) on wasm; `undefined` on other backends. Do not keep it. */
export function heapView(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  return wasmBackend()?.typedArrayFromHeap(
    t as unknown as { shape: number[]; dtype: string; dataId: object },
  ) as Float32Array | undefined;
}

/**
 * The data of a variable to update in place, when no other tensor shares its memory (a clone from
 * `stateDict()` would): on wasm only. `undefined` otherwise: assign a new value.
 *
 * Never for a variable that is an operand of a matrix product: the wasm backend caches products'
 * packed operands by tensor, so a product would go on reading the old values.
 */
export function writableHeapView(variable: tf.Variable): Float32Array | undefined {
  const backend = wasmBackend();
  if (backend == null || backend.refCount(variable.dataId) !== 1) return undefined;
  return heapView(variable);
}

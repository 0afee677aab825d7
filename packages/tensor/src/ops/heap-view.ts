/**
 * Direct access to tensor memory on the wasm backend, whose heap JavaScript can address: reading a
 * tensor without a copy. Writing through such a view is not offered: the backend caches the packed
 * operands of matrix products by tensor, so a product would go on reading the old values.
 */
import { tf } from '../tf.js';

interface WasmBackendLike {
  typedArrayFromHeap(info: {
    shape: number[];
    dtype: string;
    dataId: object;
  }): Float32Array | Int32Array | Uint8Array;
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

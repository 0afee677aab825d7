/**
 * Tensors written piece by piece, for loading weights without holding a second copy of them.
 *
 * On wasm (and blas) a new tensor's place in the heap is allocated first and each piece is copied
 * straight into it, so a 154 MB token table never exists as a host array beside its heap copy.
 * Elsewhere the pieces fill the float32 array the tensor is then made from: the cpu backend keeps that
 * array as its storage, and WebGPU uploads it. Only tensors no operation has read yet are written:
 * the wasm backend caches the packed operands of products by tensor, so an existing tensor is never
 * changed in place.
 */
import { tf } from '../tf.js';

/** Writes `values` into the tensor being filled, from element `offset` on. */
export type WritePiece = (offset: number, values: Float32Array) => void;

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function wasmHeapBackend(): WasmHeapBackend | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmHeapBackend) : undefined;
}

/**
 * A tensor of `shape` (float32, or int32) whose values are not set: allocated without writing to it,
 * so on wasm and cpu its memory is not touched until it is written (a model about to be loaded costs
 * nothing before its weights arrive). Its contents are unspecified: overwrite it before reading it.
 */
export function emptyTensor(shape: readonly number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const wasm = wasmHeapBackend();
  if (wasm !== undefined) return tf.engine().makeTensorFromTensorInfo(wasm.makeOutput([...shape], dtype));
  // A fresh zeroed array: large ones are mapped lazily by the OS, so untouched pages cost nothing.
  const size = tf.util.sizeFromShape([...shape]);
  return tf.tensor(dtype === 'int32' ? new Int32Array(size) : new Float32Array(size), [...shape], dtype);
}

/**
 * A new float32 tensor of `shape`, its values written by `fill` in pieces. `fill` must write every
 * element; each piece must lie inside the tensor. If `fill` fails, nothing is left allocated.
 */
export async function tensorFromPieces(
  shape: readonly number[],
  fill: (write: WritePiece) => Promise<void>,
): Promise<tf.Tensor> {
  const [tensor] = await tensorsFromPieces([shape], fill);
  return tensor as tf.Tensor;
}

/**
 * New float32 tensors that together hold one array written by `fill` in pieces: the first tensor
 * holds its first elements, the next the elements after them, and so on (row blocks of a table stored
 * in shards, say). A piece that spans two tensors is split between them. `fill` must write every
 * element; if it fails, nothing is left allocated.
 */
export async function tensorsFromPieces(
  shapes: readonly (readonly number[])[],
  fill: (write: WritePiece) => Promise<void>,
): Promise<tf.Tensor[]> {
  const sizes = shapes.map((shape) => tf.util.sizeFromShape([...shape]));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const wasm = wasmHeapBackend();
  const hosts = wasm === undefined ? sizes.map((size) => new Float32Array(size)) : undefined;
  const tensors = wasm === undefined ? [] : shapes.map((shape) => emptyTensor(shape));
  // Where each tensor's elements start in the whole array.
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((sum, size) => sum + size, 0));
  const place = (i: number, at: number, values: Float32Array) => {
    if (hosts !== undefined) (hosts[i] as Float32Array).set(values, at);
    // A fresh view for every piece: anything that grows the heap meanwhile detaches older views.
    else (wasm as WasmHeapBackend).typedArrayFromHeap(tensors[i] as tf.Tensor).set(values, at);
  };
  try {
    await fill((offset, values) => {
      if (!Number.isInteger(offset) || offset < 0 || offset + values.length > total) {
        throw new RangeError(
          `tensorsFromPieces: a piece of ${values.length} values at ${offset} lies outside the ${total} values`,
        );
      }
      for (const [i, start] of starts.entries()) {
        const end = start + (sizes[i] as number);
        const from = Math.max(offset, start);
        const to = Math.min(offset + values.length, end);
        if (from < to) place(i, from - start, values.subarray(from - offset, to - offset));
      }
    });
  } catch (error) {
    tf.dispose(tensors);
    throw error;
  }
  if (hosts === undefined) return tensors;
  return hosts.map((host, i) => tf.tensor(host, [...(shapes[i] as readonly number[])], 'float32'));
}

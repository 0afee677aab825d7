/**
 * `Slice` on wasm reads the heap in place and copies only the slice: TF.js's reads its whole input
 * through a copy of it (`readSync`) on every call.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { type WasmBackendLike, wasmBackend } from './backend.js';

/**
 * Copies `size` elements of `x` starting at `begin` into `out` (both flat, row-major), one contiguous
 * run of the last axis at a time.
 */
function copySlice(
  x: ArrayLike<number> & { subarray(from: number, to: number): ArrayLike<number> },
  shape: number[],
  begin: number[],
  size: number[],
  out: { set(values: ArrayLike<number>, offset: number): void },
): void {
  const rank = shape.length;
  const strides = tf.util.computeStrides(shape);
  const run = size[rank - 1] ?? 1;
  const runs = tf.util.sizeFromShape(size) / Math.max(run, 1);
  if (run === 0 || runs === 0) return;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0); // position among the outer axes
  for (let r = 0; r < runs; r++) {
    let from = begin[rank - 1] ?? 0;
    for (let d = 0; d < rank - 1; d++)
      from += ((begin[d] as number) + (index[d] as number)) * (strides[d] as number);
    out.set(x.subarray(from, from + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (size[d] as number)) break;
      index[d] = 0;
    }
  }
}

/** The slice of `x` at `begin`, `size` as a new tensor, read from the heap in place. */
export function sliceOnHeap(
  wasm: WasmBackendLike,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  // Allocate first: growing the heap detaches every view taken before.
  const output = wasm.makeOutput(size, x.dtype);
  copySlice(wasm.typedArrayFromHeap(x), x.shape, begin, size, wasm.typedArrayFromHeap(output));
  return output;
}

function heapSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size) as [
      number[],
      number[],
    ];
    return sliceOnHeap(wasmBackend(args.backend), x, begin, size);
  };
}

export const sliceConfig: KernelPatch = { kernelName: tf.Slice, backendName: 'wasm', wrap: heapSlice };

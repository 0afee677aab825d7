/**
 * Kernels TF.js's wasm backend lacks or that it runs wastefully, written against its heap.
 * - `UnsortedSegmentSum` (missing) is the gradient of `gather`, i.e. of every embedding lookup.
 * - `Identity` copies its input on wasm, and TF.js clones every tensor it saves for a backward pass
 *   through it: every activation and weight a gradient needs was held twice. Sharing the data, as the
 *   cpu backend does, halves training memory (tensors are immutable: sharing is safe).
 * - `Slice` and `SplitV` read their whole input through a copy of it (`readSync`) on every call:
 *   splitting a chunk of logits into five vocabulary shards copied it five times. Here they read the
 *   heap in place and copy only the slice.
 * - `_FusedMatMul` adds its bias along the wrong axis when an operand is transposed (`tf.fused.matMul`
 *   with `transposeB`, as a linear layer would call it, returned wrong values). Here the product runs
 *   without the bias, which is then added by `Add`.
 * - `Transpose` copies its input even when the permutation moves no data (TF.js's gradient of `gather`,
 *   i.e. of every embedding lookup, ends with one such transpose of the whole table). Here it shares it.
 * - `ScratchGPTAdamW`, the optimizer's update in one pass (see `wasm-adamw.ts`), and
 *   `ScratchGPTSoftmaxCrossEntropy`, a loss and its gradient from one softmax (see
 *   `wasm-softmax-cross-entropy.ts`).
 */
import { tf } from '../tf.js';
import { fusedKernelNames } from './fused-kernel-names.js';
import { wasmAdamWKernel } from './wasm-adamw.js';
import { wasmSoftmaxCrossEntropyKernel } from './wasm-softmax-cross-entropy.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
}

function sharingIdentity(copying: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return copying(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Whether transposing `shape` by `perm` leaves every element where it is (only size-1 axes move). */
export function movesNoData(shape: readonly number[], perm: readonly number[]): boolean {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  return kept.every((axis, i) => i === 0 || axis > (kept[i - 1] as number));
}

function sharingTranspose(copying: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    if (x.dtype === 'string' || !movesNoData(x.shape, perm)) return copying(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: perm.map((axis) => x.shape[axis] as number), dtype: x.dtype };
  };
}

function unsortedSegmentSum({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = backend as unknown as WasmBackendLike;
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  const trailingShape = x.shape.slice(segmentIds.shape.length);
  const blockSize = tf.util.sizeFromShape(trailingShape);
  // Allocate first: growing the heap detaches every view taken before.
  const output = wasm.makeOutput([numSegments, ...trailingShape], x.dtype);
  const out = wasm.typedArrayFromHeap(output);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  out.fill(0);
  for (let i = 0; i < idCount; i++) {
    const segment = ids[i] as number;
    // TensorFlow drops negative ids; larger ones are a caller's bug.
    if (segment < 0) continue;
    if (segment >= numSegments) {
      throw new Error(`UnsortedSegmentSum: segment id ${segment} is not below numSegments ${numSegments}`);
    }
    const from = i * blockSize;
    const to = segment * blockSize;
    for (let j = 0; j < blockSize; j++) out[to + j] = (out[to + j] as number) + (values[from + j] as number);
  }
  return output;
}

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

function sliceOnHeap(
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
    return sliceOnHeap(args.backend as unknown as WasmBackendLike, x, begin, size);
  };
}

function heapSplitV(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((piece) => {
      const size = [...x.shape];
      size[axis] = piece;
      const output = sliceOnHeap(args.backend as unknown as WasmBackendLike, x, [...begin], size);
      begin[axis] = (begin[axis] as number) + piece;
      return output;
    });
  };
}

function biasAfterTransposedProduct(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
    if (bias == null || (!attrs.transposeA && !attrs.transposeB)) return original(args);
    if ((attrs.activation ?? 'linear') !== 'linear' || preluActivationWeights != null) {
      throw new Error(
        `_FusedMatMul on wasm cannot add a bias before a ${attrs.activation} activation when an operand is ` +
          'transposed (its result would be wrong): use tf.matMul, tf.add and the activation',
      );
    }
    const backend = args.backend as unknown as WasmBackendLike;
    const product = original({ ...args, inputs: { a, b } as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    const add = tf.getKernel('Add', 'wasm')!.kernelFunc;
    const out = add({ inputs: { a: product, b: bias }, backend: args.backend, attrs: {} });
    backend.disposeData(product.dataId);
    return out;
  };
}

/** Replaces a registered wasm kernel by a wrapper around it, keeping its setup (its wasm bindings). */
function override(kernelName: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel == null) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc: wrap(kernel.kernelFunc) });
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum,
    });
  }
  override('Identity', sharingIdentity);
  override('Transpose', sharingTranspose);
  override('Slice', heapSlice);
  override('SplitV', heapSplitV);
  override('_FusedMatMul', biasAfterTransposedProduct);
  tf.registerKernel({ kernelName: fusedKernelNames.adamw, backendName: 'wasm', kernelFunc: wasmAdamWKernel });
  tf.registerKernel({
    kernelName: fusedKernelNames.softmaxCrossEntropy,
    backendName: 'wasm',
    kernelFunc: wasmSoftmaxCrossEntropyKernel,
  });
}

/**
 * Kernel `ScratchGPTMatMulHalf` on wasm (and so on blas), for the few rows the op sends it (generation
 * with the KV cache: one). x · Wᵀ runs the SIMD kernel of `half-simd.ts` on the backend's memory,
 * reading the packed weight once per row of x, on the single-threaded build's memory and on the
 * threaded build's shared one alike; x · W (only gradients ask for it), an f16 weight holding ±∞ or
 * NaN, or a runtime without WebAssembly SIMD, widens W into a temporary float32 tensor and hands the
 * product to the backend's `BatchMatMul` (BLAS on blas).
 */
import { type MatMulHalfAttrs, productShape } from '../../half/half-kernel.js';
import { widenWords } from '../../half/widen-words.js';
import { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import { halfDotsFor } from '../half-simd.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { heapMemory, type WasmBackendLike, wasmBackend } from './backend.js';

/** Floats past a row's words that the SIMD kernel may read (as zeros). */
const PAD = 3;

/**
 * Per packed f16 weight (its data id, immutable as every tensor's): whether it holds a ±∞ or NaN half.
 * The SIMD kernel reads those as large finite values; checking every vector for them would cost it
 * 10 to 25 % more instructions, so a weight is scanned once, on its first product, and one that holds
 * them takes the widened product, which is exact for every half.
 */
const holdsNonFinite = new WeakMap<object, boolean>();

function hasNonFiniteHalf(words: Int32Array): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as number;
    if ((word & 0x7c00) === 0x7c00 || (word & 0x7c000000) === 0x7c000000) return true;
  }
  return false;
}

function readsRight(wasm: WasmBackendLike, words: tf.TensorInfo, bf16: boolean): boolean {
  if (bf16) return true; // a bfloat16 is widened by a shift: ±∞ and NaN come out as they are
  let nonFinite = holdsNonFinite.get(words.dataId);
  if (nonFinite === undefined) {
    nonFinite = hasNonFiniteHalf(wasm.typedArrayFromHeap(words) as Int32Array);
    holdsNonFinite.set(words.dataId, nonFinite);
  }
  return !nonFinite;
}

function widenedProduct(
  args: KernelArgs,
  wasm: WasmBackendLike,
  x: tf.TensorInfo,
  words: tf.TensorInfo,
): tf.TensorInfo {
  const { bf16, columns, transposeB } = args.attrs as unknown as MatMulHalfAttrs;
  const { n, m } = productShape(x, words, args.attrs as unknown as MatMulHalfAttrs);
  const rows = words.shape[0] as number;
  const weight = wasm.makeOutput([1, rows, columns], 'float32');
  const values = wasm.typedArrayFromHeap(weight) as Float32Array;
  widenWords(wasm.typedArrayFromHeap(words) as Int32Array, columns, bf16 ? 'bf16' : 'f16', values);
  const product = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc({
    inputs: { a: { ...x, shape: [1, ...x.shape] }, b: weight } as unknown as tf.NamedTensorInfoMap,
    attrs: { transposeA: false, transposeB } as unknown as tf.NamedAttrMap,
    backend: args.backend,
  }) as tf.TensorInfo;
  wasm.disposeData(weight.dataId);
  return { ...product, shape: [n, m] };
}

function wasmMatMulHalf(args: KernelArgs): tf.TensorInfo {
  const { x, words } = args.inputs as { x: tf.TensorInfo; words: tf.TensorInfo };
  const attrs = args.attrs as unknown as MatMulHalfAttrs;
  const wasm = wasmBackend(args.backend);
  const { n, k, m } = productShape(x, words, attrs);
  const memory = heapMemory(wasm);
  const dots = attrs.transposeB && memory != null ? halfDotsFor(memory) : null;
  if (dots == null || !readsRight(wasm, words, attrs.bf16)) return widenedProduct(args, wasm, x, words);
  const perRow = words.shape[1] as number;
  const span = perRow + PAD;
  // Allocate first: growing the heap detaches every view taken before.
  const out = wasm.makeOutput([n, m], 'float32');
  const split = wasm.makeOutput([2 * span], 'float32');
  const input = wasm.typedArrayFromHeap(x) as Float32Array;
  const halves = wasm.typedArrayFromHeap(split) as Float32Array;
  const [xe, xo] = [wasm.getMemoryOffset(split.dataId), wasm.getMemoryOffset(split.dataId) + span * 4];
  const dot = attrs.bf16 ? dots.bf16 : dots.f16;
  for (let row = 0; row < n; row++) {
    // The row's even columns, then its odd ones, each followed by zeros.
    halves.fill(0);
    for (let c = 0; c < k; c++) halves[(c & 1) * span + (c >> 1)] = input[row * k + c] as number;
    dot(
      m,
      perRow,
      xe,
      xo,
      wasm.getMemoryOffset(words.dataId),
      wasm.getMemoryOffset(out.dataId) + row * m * 4,
    );
  }
  wasm.disposeData(split.dataId);
  return out;
}

export const matMulHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.matMulHalf,
  backendName: 'wasm',
  kernelFunc: wasmMatMulHalf,
};

/**
 * Kernel `ScratchGPTAdamW` on the wasm backend (and so on blas): one pass of a WebAssembly SIMD kernel
 * over the four tensors where TF.js composes fourteen element-wise ops, each a pass of its own.
 *
 * The kernel imports the backend's WebAssembly memory, so it reads param, grad, m and v where they lie
 * and writes into three outputs the backend allocates: no copies, no JavaScript arrays. It performs the
 * float32 operations of the composed update in the same order, each rounded and none fused, so its
 * results are bit-identical to it. Where the memory cannot be imported (a threaded build's shared
 * memory) the same steps run in JavaScript on views of the heap.
 *
 * The bytes below are `wat2wasm wasm-adamw.wat` (wabt 1.0.39); the text beside this file is the source.
 */
import type { AdamWScalars } from '../ops/adamw-update.js';
import { tf } from '../tf.js';

const KERNEL_BASE64 =
  'AGFzbQEAAAABFAFgEH9/f39/f39/fX19fX19fX0AAg8BA2VudgZtZW1vcnkCAAADAgEABwkBBWFkYW13AAAK7AIB6QIDA38LewN9' +
  'IAj9EyEWIAn9EyEXIAr9EyEYIAv9EyEZIAz9EyEaIA39EyEbIA79EyEcIA/9EyEdIABBAnQhEiASQXBxIRECQANAIBAgEU8NASAB' +
  'IBBq/QAEACETIAMgEGr9AAQAIBf95gEgEyAY/eYB/eQBIRQgBCAQav0ABAAgGf3mASATIBP95gEgGv3mAf3kASEVIAUgEGogAiAQ' +
  'av0ABAAgFv3mASAUIBX94wEgG/3nASAc/eQB/ecBIB395gH95QH9CwQAIAYgEGogFP0LBAAgByAQaiAV/QsEACAQQRBqIRAMAAsL' +
  'AkADQCAQIBJPDQEgASAQaioCACEeIAMgEGoqAgAgCZQgHiAKlJIhHyAEIBBqKgIAIAuUIB4gHpQgDJSSISAgBSAQaiACIBBqKgIA' +
  'IAiUIB8gIJEgDZUgDpKVIA+UkzgCACAGIBBqIB84AgAgByAQaiAgOAIAIBBBBGohEAwACwsL';

interface WasmModuleLike {
  asm?: { memory?: unknown };
}

interface WasmBackendLike {
  wasm: WasmModuleLike;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type AdamWCall = (n: number, ...pointersThenScalars: number[]) => void;

/** One compiled kernel per backend memory; null where that memory cannot be imported. */
const kernels = new WeakMap<object, AdamWCall | null>();

function kernelFor(module: WasmModuleLike): AdamWCall | null {
  const memory = module.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let call = kernels.get(memory);
  if (call !== undefined) return call;
  try {
    const bytes = Uint8Array.from(atob(KERNEL_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    call = instance.exports.adamw as AdamWCall;
  } catch {
    // No WebAssembly SIMD, or a shared memory this non-shared import does not accept.
    call = null;
  }
  kernels.set(memory, call);
  return call;
}

/** Kernel `ScratchGPTAdamW`: inputs param, grad, m, v (float32, one shape) → new param, m, v. */
export function wasmAdamWKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const wasm = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as AdamWScalars;
  for (const [name, x] of Object.entries({ param, grad, m, v })) {
    if (x.dtype !== 'float32') throw new Error(`ScratchGPTAdamW: ${name} must be float32, got ${x.dtype}`);
    if (!tf.util.arraysEqual(x.shape, param.shape)) {
      throw new Error(`ScratchGPTAdamW: ${name} has shape [${x.shape}], param [${param.shape}]`);
    }
  }
  const n = tf.util.sizeFromShape(param.shape);
  const outputs = [0, 1, 2].map(() => wasm.makeOutput(param.shape, 'float32')) as [
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
  ];
  // Each scalar as the float32 the composed update's scalar tensors hold.
  const scalars: Scalars = [
    a.decay,
    a.beta1,
    1 - a.beta1,
    a.beta2,
    1 - a.beta2,
    a.correction2Sqrt,
    a.eps,
    a.stepSize,
  ];
  const call = kernelFor(wasm.wasm);
  if (call != null) {
    const at = (x: tf.TensorInfo) => wasm.getMemoryOffset(x.dataId);
    call(n, at(grad), at(param), at(m), at(v), ...outputs.map(at), ...scalars);
  } else {
    const views = [grad, param, m, v, ...outputs].map((x) => wasm.typedArrayFromHeap(x)) as Views;
    adamwInJavaScript(n, views, scalars.map(Math.fround) as Scalars);
  }
  return outputs;
}

type Views = [
  Float32Array,
  Float32Array,
  Float32Array,
  Float32Array,
  Float32Array,
  Float32Array,
  Float32Array,
];
type Scalars = [number, number, number, number, number, number, number, number];

/** The kernel's steps one float at a time, each rounded to float32. */
function adamwInJavaScript(n: number, [g, p, m, v, pOut, mOut, vOut]: Views, scalars: Scalars): void {
  const [decay, beta1, keep1, beta2, keep2, correction2Sqrt, eps, stepSize] = scalars;
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * beta1) + f(gi * keep1));
    const vi = f(f((v[i] as number) * beta2) + f(f(gi * gi) * keep2));
    const denom = f(f(f(Math.sqrt(vi)) / correction2Sqrt) + eps);
    pOut[i] = f(f((p[i] as number) * decay) - f(f(mi / denom) * stepSize));
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

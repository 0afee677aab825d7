/**
 * AdamW's update as a WebAssembly SIMD kernel, for tensors in the wasm backend's memory and for plain
 * arrays alike. It performs the float32 operations of the composed update (`adamwUpdate` without a
 * fused kernel) in the same order, each rounded and none fused, so its results are bit-identical to
 * it; the same steps in JavaScript stand in where WebAssembly SIMD is missing.
 *
 * The kernel imports the memory it works on: the wasm backend's own (tensors read and written where
 * they lie), or a memory of its own that arrays pass through in chunks. Outputs may alias inputs.
 * The bytes below are `wat2wasm adamw-simd.wat` (wabt 1.0.39); the text beside this file is the source.
 * The threaded wasm build's heap is a shared memory, which only an import declared `shared` (with a
 * maximum) accepts: the second binary is the same text with that import, `(memory 0 65536 shared)`,
 * compiled with `wat2wasm --enable-threads`.
 */
import type { AdamWScalars } from '../ops/adamw-update.js';
import { simdKernelLoader } from './simd-module.js';

const KERNEL_BASE64 =
  'AGFzbQEAAAABFAFgEH9/f39/f39/fX19fX19fX0AAg8BA2VudgZtZW1vcnkCAAADAgEABwkBBWFkYW13AAAK7AIB6QIDA38LewN9' +
  'IAj9EyEWIAn9EyEXIAr9EyEYIAv9EyEZIAz9EyEaIA39EyEbIA79EyEcIA/9EyEdIABBAnQhEiASQXBxIRECQANAIBAgEU8NASAB' +
  'IBBq/QAEACETIAMgEGr9AAQAIBf95gEgEyAY/eYB/eQBIRQgBCAQav0ABAAgGf3mASATIBP95gEgGv3mAf3kASEVIAUgEGogAiAQ' +
  'av0ABAAgFv3mASAUIBX94wEgG/3nASAc/eQB/ecBIB395gH95QH9CwQAIAYgEGogFP0LBAAgByAQaiAV/QsEACAQQRBqIRAMAAsL' +
  'AkADQCAQIBJPDQEgASAQaioCACEeIAMgEGoqAgAgCZQgHiAKlJIhHyAEIBBqKgIAIAuUIB4gHpQgDJSSISAgBSAQaiACIBBqKgIA' +
  'IAiUIB8gIJEgDZUgDpKVIA+UkzgCACAGIBBqIB84AgAgByAQaiAgOAIAIBBBBGohEAwACwsL';

/** The same kernel importing a shared memory of up to 4 GiB (65536 pages), as the threaded build's. */
const SHARED_KERNEL_BASE64 =
  'AGFzbQEAAAABFAFgEH9/f39/f39/fX19fX19fX0AAhIBA2VudgZtZW1vcnkCAwCAgAQDAgEABwkBBWFkYW13AAAK7AIB6QIDA38L' +
  'ewN9IAj9EyEWIAn9EyEXIAr9EyEYIAv9EyEZIAz9EyEaIA39EyEbIA79EyEcIA/9EyEdIABBAnQhEiASQXBxIRECQANAIBAgEU8N' +
  'ASABIBBq/QAEACETIAMgEGr9AAQAIBf95gEgEyAY/eYB/eQBIRQgBCAQav0ABAAgGf3mASATIBP95gEgGv3mAf3kASEVIAUgEGog' +
  'AiAQav0ABAAgFv3mASAUIBX94wEgG/3nASAc/eQB/ecBIB395gH95QH9CwQAIAYgEGogFP0LBAAgByAQaiAV/QsEACAQQRBqIRAM' +
  'AAsLAkADQCAQIBJPDQEgASAQaioCACEeIAMgEGoqAgAgCZQgHiAKlJIhHyAEIBBqKgIAIAuUIB4gHpQgDJSSISAgBSAQaiACIBBq' +
  'KgIAIAiUIB8gIJEgDZUgDpKVIA+UkzgCACAGIBBqIB84AgAgByAQaiAgOAIAIBBBBGohEAwACwsL';

/** adamw(n, g, p, m, v, pOut, mOut, vOut, ...scalars): n floats each, pointers in bytes. */
export type AdamWCall = (n: number, ...pointersThenScalars: number[]) => void;

/** The update's eight scalars in the kernel's order, each the float32 the composed update applies. */
export type Float32Scalars = [number, number, number, number, number, number, number, number];

export function float32Scalars(s: AdamWScalars): Float32Scalars {
  const values = [s.decay, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.correction2Sqrt, s.eps, s.stepSize];
  return values.map(Math.fround) as Float32Scalars;
}

/** The kernel on `memory` (plain or shared); null where it cannot run (no WebAssembly SIMD). */
export const adamwKernelFor = simdKernelLoader(
  { plain: KERNEL_BASE64, shared: SHARED_KERNEL_BASE64 },
  (exports) => exports.adamw as AdamWCall,
);

/** g, p, m, v in; the new p, m, v out (each may be one of the inputs). */
export type AdamWArrays = [Float32Array, Float32Array, Float32Array, Float32Array, ...AdamWOutputArrays];
type AdamWOutputArrays = [Float32Array, Float32Array, Float32Array];

/** The kernel's steps one float at a time, each rounded to float32. */
export function adamwInJavaScript(
  n: number,
  [g, p, m, v, pOut, mOut, vOut]: AdamWArrays,
  scalars: Float32Scalars,
): void {
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

/** Floats per array per chunk: four such arrays fill the host kernel's memory. */
const CHUNK = 1 << 18;
const BYTES = 4;
let hostMemory: WebAssembly.Memory | undefined;

/** Where the update writes: the new parameter and moments (the moments may be the inputs themselves). */
export interface AdamWOutputs {
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/**
 * One AdamW update of a parameter held in arrays (e.g. an optimizer's moments kept in JavaScript
 * memory): from its gradient `g`, values `p` and moments `m`, `v` into `out`, bit-identical to
 * `adamwUpdate` on tensors. Inputs other than those `out` names are only read.
 */
export function adamwOnArrays(
  g: Float32Array,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: AdamWOutputs,
  s: AdamWScalars,
): void {
  const scalars = float32Scalars(s);
  hostMemory ??= new WebAssembly.Memory({ initial: (4 * CHUNK * BYTES) / 65536 });
  const call = adamwKernelFor(hostMemory);
  if (call == null) {
    adamwInJavaScript(g.length, [g, p, m, v, out.p, out.m, out.v], scalars);
    return;
  }
  const heap = new Float32Array(hostMemory.buffer);
  const [gAt, pAt, mAt, vAt] = [0, CHUNK, 2 * CHUNK, 3 * CHUNK];
  // Each chunk is copied in before its results are copied out, so `out` may alias the inputs.
  for (let start = 0; start < g.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, g.length);
    const n = end - start;
    heap.set(g.subarray(start, end), gAt);
    heap.set(p.subarray(start, end), pAt);
    heap.set(m.subarray(start, end), mAt);
    heap.set(v.subarray(start, end), vAt);
    const [gB, pB, mB, vB] = [gAt, pAt, mAt, vAt].map((at) => at * BYTES) as [number, number, number, number];
    call(n, gB, pB, mB, vB, pB, mB, vB, ...scalars);
    out.p.set(heap.subarray(pAt, pAt + n), start);
    out.m.set(heap.subarray(mAt, mAt + n), start);
    out.v.set(heap.subarray(vAt, vAt + n), start);
  }
}

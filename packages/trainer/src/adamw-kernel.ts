/**
 * AdamW's host update (moments in JavaScript memory) as a WebAssembly SIMD kernel. It performs the
 * float32 operations of the device's update in the same order, each rounded to float32 and none fused,
 * so its results are bit-identical to the JavaScript loop it stands in for, at a fraction of the cost:
 * that loop rounds every step through `Math.fround` on doubles and runs one element at a time.
 *
 * The bytes below are `wat2wasm adamw-kernel.wat` (wabt 1.0.39); the text beside this file is the
 * source. Arrays pass through the kernel's own memory in chunks, so any size works.
 */
const KERNEL_BASE64 =
  'AGFzbQEAAAABEQFgDX9/f39/fX19fX19fX0AAwIBAAUDAQABBxICBm1lbW9yeQIABWFkYW13AAAK4wEB4AECAX8LeyAF/RMhESAG/RMhEiAH/RMhEyAI/RMhFCAJ/RMhFSAK/RMhFiAL/RMhFyAM/RMhGCAAQQJ0IQACQANAIA0gAE8NASABIA1q/QAEACEOIAMgDWr9AAQAIBL95gEgDiAT/eYB/eQBIQ8gBCANav0ABAAgFP3mASAOIA795gEgFf3mAf3kASEQIAIgDWogAiANav0ABAAgEf3mASAPIBD94wEgFv3nASAX/eQB/ecBIBj95gH95QH9CwQAIAMgDWogD/0LBAAgBCANaiAQ/QsEACANQRBqIQ0MAAsLCw==';

/** Floats per array per call: four such arrays fill the kernel's memory. */
const CHUNK = 1 << 18;
const BYTES = 4;

/** The update's scalars, each already a float32 value. */
export interface AdamWScalars {
  decay: number;
  beta1: number;
  keep1: number;
  beta2: number;
  keep2: number;
  correction2Sqrt: number;
  eps: number;
  stepSize: number;
}

type KernelCall = (n: number, g: number, p: number, m: number, v: number, ...scalars: number[]) => void;

interface Kernel {
  call: KernelCall;
  heap: Float32Array;
}

let kernel: Kernel | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (the caller then loops itself). */
function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(KERNEL_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const pages = Math.ceil((4 * CHUNK * BYTES) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    kernel = { call: instance.exports.adamw as KernelCall, heap: new Float32Array(memory.buffer) };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Where the update writes: the new parameter and moments (the moments may be the inputs themselves). */
export interface AdamWOutputs {
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/**
 * One AdamW update of a parameter from its gradient `g`, its values `p` and moments `m`, `v`, into
 * `out`: the SIMD kernel where WebAssembly has it, the same float32 steps in JavaScript for the rest.
 * Inputs other than those `out` names are only read.
 */
export function adamwOnArrays(
  g: Float32Array,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: AdamWOutputs,
  s: AdamWScalars,
): void {
  const f = Math.fround;
  for (let i = adamwKernel(g, p, m, v, out, s); i < g.length; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * s.beta1) + f(gi * s.keep1));
    const vi = f(f((v[i] as number) * s.beta2) + f(f(gi * gi) * s.keep2));
    const denom = f(f(f(Math.sqrt(vi)) / s.correction2Sqrt) + s.eps);
    out.p[i] = f(f((p[i] as number) * s.decay) - f(f(mi / denom) * s.stepSize));
    out.m[i] = mi;
    out.v[i] = vi;
  }
}

/**
 * The kernel over the leading elements (a multiple of 4); returns how many it did (0 without
 * WebAssembly SIMD). Each chunk is copied in before its results are copied out, so `out` may alias
 * the inputs.
 */
export function adamwKernel(
  g: Float32Array,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: AdamWOutputs,
  s: AdamWScalars,
): number {
  const loaded = loadKernel();
  if (loaded == null) return 0;
  const { call, heap } = loaded;
  const done = g.length - (g.length % 4);
  const [gAt, pAt, mAt, vAt] = [0, CHUNK, 2 * CHUNK, 3 * CHUNK];
  for (let start = 0; start < done; start += CHUNK) {
    const end = Math.min(start + CHUNK, done);
    const n = end - start;
    heap.set(g.subarray(start, end), gAt);
    heap.set(p.subarray(start, end), pAt);
    heap.set(m.subarray(start, end), mAt);
    heap.set(v.subarray(start, end), vAt);
    call(
      n,
      gAt * BYTES,
      pAt * BYTES,
      mAt * BYTES,
      vAt * BYTES,
      s.decay,
      s.beta1,
      s.keep1,
      s.beta2,
      s.keep2,
      s.correction2Sqrt,
      s.eps,
      s.stepSize,
    );
    out.p.set(heap.subarray(pAt, pAt + n), start);
    out.m.set(heap.subarray(mAt, mAt + n), start);
    out.v.set(heap.subarray(vAt, vAt + n), start);
  }
  return done;
}

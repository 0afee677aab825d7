import { describe, expect, it } from 'vitest';
import type { AdamWScalars } from '../ops/adamw-update.js';
import { adamwInJavaScript, adamwKernelFor, adamwOnArrays, float32Scalars } from './adamw-simd.js';

const f = Math.fround;
const scalars: AdamWScalars = {
  decay: 1 - 4e-4 * 0.1,
  beta1: 0.9,
  beta2: 0.999,
  correction2Sqrt: Math.sqrt(1 - 0.999 ** 3),
  eps: 1e-8,
  stepSize: 4e-4 / (1 - 0.9 ** 3),
};

/** The device's float32 steps one element at a time: what the kernel must reproduce bit for bit. */
function scalarUpdate(g: Float32Array, p: Float32Array, m: Float32Array, v: Float32Array): Float32Array {
  const [decay, beta1, keep1, beta2, keep2, correction2Sqrt, eps, stepSize] = [
    scalars.decay,
    scalars.beta1,
    1 - scalars.beta1,
    scalars.beta2,
    1 - scalars.beta2,
    scalars.correction2Sqrt,
    scalars.eps,
    scalars.stepSize,
  ].map(f) as number[] as [number, number, number, number, number, number, number, number];
  const next = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * beta1) + f(gi * keep1));
    const vi = f(f((v[i] as number) * beta2) + f(f(gi * gi) * keep2));
    const denom = f(f(f(Math.sqrt(vi)) / correction2Sqrt) + eps);
    next[i] = f(f((p[i] as number) * decay) - f(f(mi / denom) * stepSize));
    m[i] = mi;
    v[i] = vi;
  }
  return next;
}

/** The first index where the two differ in any bit, or -1 (a deep equality on 500k elements is slow). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const [x, y] = [a, b].map((array) => new Uint32Array(array.buffer, array.byteOffset, array.length));
  if (x!.length !== y!.length) return Math.min(x!.length, y!.length);
  return x!.findIndex((word, i) => word !== y![i]);
}

describe('AdamW on arrays', () => {
  it('gives the scalar float32 steps bit for bit, across chunks, in place or apart', () => {
    // Two chunks of 2^18 and a partial third; odd size, so the kernel ends with a tail of 3.
    const size = 2 * (1 << 18) + 1027;
    // Deterministic, varied values (a generator is slower than the test needs).
    const wave = (scale: number, phase: number) =>
      Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898 + phase) * scale);
    const g = wave(1e-2, 0);
    const p = wave(1, 1);
    const m = wave(1e-3, 2);
    const v = wave(1e-5, 3).map(Math.abs);
    // Values at the edges of float32: zeros, subnormals, huge gradients; some in the tail too.
    g.set([0, -0, 1e-40, 3e38, -3e38, 1e-20], 10);
    v.set([0, 0, 0, 0, 0, 0], 10);
    g.set([3e38, 1e-40], size - 2);
    const [m2, v2] = [m.slice(), v.slice()];
    const expected = scalarUpdate(g, p, m2, v2);
    // Into separate outputs (the device's moments): the inputs stay as they were.
    const [m0, v0] = [m.slice(), v.slice()];
    const apart = { p: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size) };
    adamwOnArrays(g, p, m, v, apart, scalars);
    expect([firstDifference(m, m0), firstDifference(v, v0)]).toEqual([-1, -1]);
    expect(firstDifference(apart.p, expected)).toBe(-1);
    expect([firstDifference(apart.m, m2), firstDifference(apart.v, v2)]).toEqual([-1, -1]);
    // The same steps in JavaScript (where WebAssembly SIMD is missing).
    const script = { p: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size) };
    adamwInJavaScript(size, [g, p, m, v, script.p, script.m, script.v], float32Scalars(scalars));
    expect(firstDifference(script.p, expected)).toBe(-1);
    expect([firstDifference(script.m, m2), firstDifference(script.v, v2)]).toEqual([-1, -1]);
    // In place (the host's moments).
    const next = new Float32Array(size);
    adamwOnArrays(g, p, m, v, { p: next, m, v }, scalars);
    expect(firstDifference(next, expected)).toBe(-1);
    expect([firstDifference(m, m2), firstDifference(v, v2)]).toEqual([-1, -1]);
  });
});

describe('the AdamW kernel on a shared memory (the threaded wasm build)', () => {
  /** Runs the kernel compiled for `memory` on g, p, m, v placed in it; returns the new p, m, v. */
  function updateIn(memory: WebAssembly.Memory, arrays: Float32Array[]): Float32Array[] {
    const call = adamwKernelFor(memory);
    if (call == null) throw new Error('no AdamW kernel for this memory');
    const n = arrays[0]!.length;
    const heap = new Float32Array(memory.buffer);
    for (const [i, array] of arrays.entries()) heap.set(array, i * n);
    const [g, p, m, v] = [0, 1, 2, 3].map((i) => i * n * 4) as [number, number, number, number];
    const out = [4, 5, 6].map((i) => i * n * 4);
    call(n, g, p, m, v, ...out, ...float32Scalars(scalars));
    return [4, 5, 6].map((i) => heap.slice(i * n, (i + 1) * n));
  }

  it('is compiled for the shared import and gives the plain kernel results bit for bit', () => {
    const n = 1027;
    const wave = (scale: number, phase: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 78.233 + phase) * scale);
    const arrays = [wave(1e-2, 0), wave(1, 1), wave(1e-3, 2), wave(1e-5, 3).map(Math.abs)];
    arrays[0]!.set([0, -0, 1e-40, 3e38, -3e38], 5);
    // The threaded build's heap: shared, up to 4 GiB.
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    const plain = new WebAssembly.Memory({ initial: 1 });
    const fromShared = updateIn(shared, arrays);
    const fromPlain = updateIn(plain, arrays);
    const [g, p, m, v] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array];
    const [m2, v2] = [m.slice(), v.slice()];
    const expected = scalarUpdate(g, p, m2, v2);
    for (const [got, want] of [
      [fromShared[0]!, expected],
      [fromShared[1]!, m2],
      [fromShared[2]!, v2],
      [fromShared[0]!, fromPlain[0]!],
    ] as const) {
      expect(firstDifference(got, want)).toBe(-1);
    }
    expect(adamwKernelFor(shared)).not.toBe(adamwKernelFor(plain));
  });
});

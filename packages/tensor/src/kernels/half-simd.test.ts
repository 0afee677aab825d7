import { describe, expect, it } from 'vitest';
import type { HalfPrecision } from '../half/precision.js';
import { packHalf, unpackHalf } from '../half/rounding.js';
import { Generator } from '../random.js';
import { type HalfDots, halfDotsFor } from './half-simd.js';

/** Floats past a row's words that the kernel may read (as zeros). */
const PAD = 3;
const BYTES = 4;

/**
 * y = x · Wᵀ for one row x (columns) and W (rows, columns) packed in `precision`, by the kernel made
 * for `memory`: the words, x split into its even and odd columns (zero-padded) and y laid out in it.
 */
function productIn(
  memory: WebAssembly.Memory,
  words: Int32Array,
  x: Float32Array,
  rows: number,
  precision: HalfPrecision,
): Float32Array {
  const dots = halfDotsFor(memory) as HalfDots | null;
  if (dots == null) throw new Error('no half kernel for this memory');
  const perRow = words.length / rows;
  const span = perRow + PAD;
  const heap = new Float32Array(memory.buffer);
  const [xe, xo, w, y] = [0, span, 2 * span, 2 * span + words.length];
  heap.fill(0, 0, y + rows);
  for (let c = 0; c < x.length; c++) heap[(c & 1 ? xo : xe) + (c >> 1)] = x[c] as number;
  new Int32Array(memory.buffer).set(words, w);
  dots[precision](rows, perRow, xe * BYTES, xo * BYTES, w * BYTES, y * BYTES);
  return heap.slice(y, y + rows);
}

/** The same product in float64 from the widened weight: the kernel's sums may differ by rounding only. */
function reference(weight: Float32Array, x: Float32Array, rows: number): Float64Array {
  const columns = x.length;
  return Float64Array.from({ length: rows }, (_, r) =>
    x.reduce((sum, xc, c) => sum + xc * (weight[r * columns + c] as number), 0),
  );
}

describe('the 16-bit product kernel on a shared memory (the threaded wasm build)', () => {
  it.each(['f16', 'bf16'] as const)(
    '%s: compiled for the shared import, the plain kernel results bit for bit',
    (precision) => {
      // 37 columns: 19 words a row, so the vector loop ends with a tail of 3 and a zero high half.
      const [rows, columns] = [5, 37];
      const generator = new Generator(11);
      const values = generator.normalArray(rows * columns);
      // Subnormal halves (f16), zeros of both signs, the largest finite half.
      values.set([3e-6, -4e-7, 0, -0, 65504, -65504], 7);
      const words = packHalf(values, [rows, columns], precision);
      const weight = unpackHalf(words, [rows, columns], precision);
      const x = generator.normalArray(columns);
      // The threaded build's heap: shared, up to 4 GiB.
      const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
      expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
      const plain = new WebAssembly.Memory({ initial: 1 });
      expect(halfDotsFor(shared)).not.toBeNull();
      expect(halfDotsFor(shared)).not.toBe(halfDotsFor(plain));
      const fromShared = productIn(shared, words, x, rows, precision);
      const fromPlain = productIn(plain, words, x, rows, precision);
      expect(new Uint32Array(fromShared.buffer)).toEqual(new Uint32Array(fromPlain.buffer));
      const expected = reference(weight, x, rows);
      for (let r = 0; r < rows; r++) {
        expect(Math.abs((fromShared[r] as number) - (expected[r] as number))).toBeLessThan(
          1e-3 * (1 + Math.abs(expected[r] as number)),
        );
      }
    },
  );
});

/**
 * Narrowing float32 arrays into packed 16-bit words, the inverse of `widen-words.ts`, for the cpu and
 * wasm kernels: each value rounded to the nearest half or bfloat16 (ties to even, as
 * `roundArrayToPrecision` rounds), then packed low half first. Unlike `packHalf`, which stores weights
 * and refuses what a weight must not hold, ∞ and NaN are kept (an activation under f16 may overflow,
 * and loss scaling must see it), so widening the words gives exactly the rounded values back.
 */
import type { HalfPrecision } from './precision.js';

const HALF_OVERFLOW = 0x477ff000; // 65520: from here on a half rounds to ∞
const HALF_SMALLEST_NORMAL = 0x38800000; // 2^-14
const TWO_POW_24 = 2 ** 24;

/** The bfloat16 bits of float32 bits `u`, rounded to nearest even; a NaN stays a (quiet) NaN. */
export function bf16BitsOf(u: number): number {
  if ((u & 0x7fffffff) >>> 0 > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return (((u >>> 0) + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The binary16 bits of `value` (whose float32 bits are `u`), rounded to nearest even. */
export function f16BitsOf(u: number, value: number): number {
  const sign = (u >>> 16) & 0x8000;
  const magnitude = u & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;
  if (magnitude >= HALF_OVERFLOW) return sign | 0x7c00;
  if (magnitude >= HALF_SMALLEST_NORMAL) {
    // Keep 10 of the 23 fraction bits (a carry moves the exponent), then rebias 127 → 15.
    return sign | (((magnitude + 0xfff + ((magnitude >>> 13) & 1)) >>> 13) - (112 << 10));
  }
  // Subnormal halves are multiples of 2^-24; 1024 of them is the smallest normal, whose bits follow.
  const scaled = Math.abs(value) * TWO_POW_24;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  return sign | (rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor);
}

/** Rows of `columns` floats → rows of ⌈columns/2⌉ words, written into `words`. */
export function narrowWords(
  values: Float32Array,
  columns: number,
  precision: HalfPrecision,
  words: Int32Array,
): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const rows = columns === 0 ? 0 : values.length / columns;
  const pairs = columns >> 1;
  const odd = (columns & 1) === 1;
  const bf16 = precision === 'bf16';
  const narrow = (at: number) =>
    bf16 ? bf16BitsOf(bits[at] as number) : f16BitsOf(bits[at] as number, values[at] as number);
  for (let row = 0, at = 0, w = 0; row < rows; row++) {
    for (let p = 0; p < pairs; p++, at += 2) words[w++] = narrow(at) | (narrow(at + 1) << 16);
    if (odd) words[w++] = narrow(at++);
  }
}

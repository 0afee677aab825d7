/**
 * float32 ⇄ 16-bit conversions on the host, rounding to nearest with ties to even (as IEEE 754 and
 * PyTorch's `.half()` / `.bfloat16()` do). Weights must stay finite: a value that is not finite, or
 * that f16 cannot hold (|x| ≥ 65520 rounds to infinity), is refused rather than stored as ±∞ or NaN.
 */
import { bfloat16ToFloat, halfToFloat } from '../safetensors/float16.js';
import type { HalfPrecision } from './precision.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Thrown for a value that a 16-bit weight cannot hold. */
export class HalfRangeError extends RangeError {
  override name = 'HalfRangeError';
}

function bitsOf(value: number): number {
  f32[0] = value;
  return u32[0] as number;
}

function refuse(value: number, precision: HalfPrecision, at: number): never {
  const why = Number.isFinite(Math.fround(value))
    ? `beyond ${precision}'s largest finite value (${precision === 'f16' ? 65504 : '3.39e38'})`
    : 'not finite';
  throw new HalfRangeError(
    `value ${value} at index ${at} is ${why}: weights stored in ${precision} must be finite` +
      (precision === 'f16' ? ' (bf16 has float32’s range)' : ''),
  );
}

/** float32 → binary16 bits, rounded to nearest even; `at` names the value in errors. */
export function toF16Bits(value: number, at = 0): number {
  const bits = bitsOf(value);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponent === 0xff) refuse(value, 'f16', at);
  const halfExponent = exponent - 112; // rebias 127 → 15
  if (halfExponent <= 0) {
    // A subnormal half (or zero): the significand, implicit bit included, shifted into 2^-24 units.
    const shift = 14 - halfExponent;
    if (shift > 24) return sign;
    const significand = exponent === 0 ? fraction : fraction | 0x800000;
    return sign | roundShifted(significand, shift);
  }
  const rounded = roundShifted((halfExponent << 23) | fraction, 13);
  if (rounded >= 0x7c00) refuse(value, 'f16', at);
  return sign | rounded;
}

/** float32 → bfloat16 bits (float32's top half), rounded to nearest even. */
export function toBf16Bits(value: number, at = 0): number {
  const bits = bitsOf(value);
  if (((bits >>> 23) & 0xff) === 0xff) refuse(value, 'bf16', at);
  const rounded = roundShifted(bits & 0x7fffffff, 16);
  if (rounded >= 0x7f80) refuse(value, 'bf16', at);
  return ((bits >>> 16) & 0x8000) | rounded;
}

/** ⌊n / 2^shift⌉ with ties to even (a carry into the exponent is the right answer). */
function roundShifted(n: number, shift: number): number {
  const kept = n >>> shift;
  const rest = n - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

export function toHalfBits(value: number, precision: HalfPrecision, at = 0): number {
  return precision === 'f16' ? toF16Bits(value, at) : toBf16Bits(value, at);
}

export function fromHalfBits(bits: number, precision: HalfPrecision): number {
  return precision === 'f16' ? halfToFloat(bits) : bfloat16ToFloat(bits);
}

/** 16-bit words per row: the last axis is packed two to an int32, a row padded to whole words. */
export function wordShape(shape: readonly number[]): number[] {
  const columns = shape.at(-1) ?? 1;
  return [...shape.slice(0, -1), Math.ceil(columns / 2)];
}

/**
 * Packs float32 values of `shape` into int32 words: element (row, c) is the low half of word
 * row·⌈C/2⌉ + ⌊c/2⌋ when c is even, its high half when odd (little-endian, as WGSL's
 * `unpack2x16float` reads a u32). An odd row ends with a zero high half.
 */
export function packHalf(
  values: ArrayLike<number>,
  shape: readonly number[],
  precision: HalfPrecision,
): Int32Array {
  const columns = shape.at(-1) ?? 1;
  const rows = columns === 0 ? 0 : values.length / columns;
  const perRow = Math.ceil(columns / 2);
  const words = new Int32Array(rows * perRow);
  for (let row = 0; row < rows; row++) {
    for (let c = 0; c < columns; c++) {
      const at = row * columns + c;
      const bits = toHalfBits(values[at] as number, precision, at);
      const word = row * perRow + (c >> 1);
      words[word] = (words[word] as number) | (c & 1 ? bits << 16 : bits);
    }
  }
  return words;
}

/** The inverse of {@link packHalf}: exact, since every 16-bit value is a float32. */
export function unpackHalf(
  words: Int32Array,
  shape: readonly number[],
  precision: HalfPrecision,
): Float32Array {
  const columns = shape.at(-1) ?? 1;
  const perRow = Math.ceil(columns / 2);
  const rows = perRow === 0 ? 0 : words.length / perRow;
  const out = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let c = 0; c < columns; c++) {
      const word = words[row * perRow + (c >> 1)] as number;
      out[row * columns + c] = fromHalfBits(c & 1 ? word >>> 16 : word & 0xffff, precision);
    }
  }
  return out;
}

/** `values` rounded to `precision` and back: the float32 values a 16-bit copy of them holds. */
export function roundedToHalf(values: ArrayLike<number>, precision: HalfPrecision): Float32Array {
  return unpackHalf(packHalf(values, [values.length], precision), [values.length], precision);
}

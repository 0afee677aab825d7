import { describe, expect, it } from 'vitest';
import { Generator } from '../random.js';
import { halfToFloat } from '../safetensors/float16.js';
import { fromHalfBits, HalfRangeError, packHalf, toBf16Bits, toF16Bits, unpackHalf } from './rounding.js';
import { widenWords } from './widen-words.js';

/** Every finite binary16 value, ascending by value, with its bits (−0 before +0). */
const finiteHalves = Array.from({ length: 0x10000 }, (_, bits) => ({ bits, value: halfToFloat(bits) }))
  .filter(({ value }) => Number.isFinite(value))
  .sort((a, b) => a.value - b.value || (Object.is(a.value, -0) ? -1 : 1));

/** The reference: the nearest finite half by search, ties to the even fraction; ±0 keep their sign. */
function nearestHalf(value: number): number {
  let low = 0;
  let high = finiteHalves.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if ((finiteHalves[middle]!.value as number) <= value) low = middle;
    else high = middle;
  }
  const below = finiteHalves[low]!;
  const above = finiteHalves[high]!;
  const pick =
    value - below.value < above.value - value
      ? below
      : value - below.value > above.value - value
        ? above
        : (below.bits & 1) === 0
          ? below
          : above;
  if (pick.value === 0) return Object.is(value, -0) || value < 0 ? 0x8000 : 0;
  return pick.bits;
}

/** bfloat16 reference: the two neighbours by truncation, compared as numbers. */
function nearestBf16(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  const truncated = view.getUint32(0) >>> 16;
  const down = fromHalfBits(truncated, 'bf16');
  const up = fromHalfBits(truncated + 1, 'bf16');
  const [dDown, dUp] = [Math.abs(value - down), Math.abs(up - value)];
  return dDown < dUp || (dDown === dUp && (truncated & 1) === 0) ? truncated : truncated + 1;
}

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0] as number;

describe('rounding to f16', () => {
  it('matches the nearest-even reference on random, subnormal, tie and edge values', () => {
    const g = new Generator(5);
    const values = [
      0,
      -0,
      1,
      -1,
      65504,
      -65504,
      65519.99,
      6e-8,
      2 ** -24,
      2.98e-8,
      2 ** -25,
      8.940696716308594e-8,
      6.103515625e-5,
      6.1e-5,
      -6.09e-5,
      1.00048828125,
      1.00146484375,
      2049,
      2051,
      1e-30,
      f32(1),
      -f32(1),
      3.0517578125e-5,
      ...g.normalArray(4000, 0, 1),
      ...g.normalArray(2000, 0, 1e-5),
      ...Array.from(g.uniformArray(2000, -70000, 70000)).filter((v) => Math.abs(v) < 65519),
    ].map(Math.fround);
    for (const value of values) expect(toF16Bits(value), `${value}`).toBe(nearestHalf(value));
  });

  it('rounds ties to even: 1 + 2⁻¹¹ down to 1, 1 + 3·2⁻¹¹ up to 1 + 2⁻⁹', () => {
    expect(toF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toF16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: a tie, to zero (even)
    expect(toF16Bits(3 * 2 ** -25)).toBe(2); // 1.5 subnormal units: to 2 (even)
  });

  it('refuses what f16 cannot hold, naming the value and the fix', () => {
    expect(toF16Bits(65519)).toBe(0x7bff);
    expect(() => toF16Bits(65520)).toThrow(HalfRangeError);
    expect(() => toF16Bits(-1e6, 7)).toThrow(
      /-1000000 at index 7 is beyond f16's largest finite value.*bf16/,
    );
    expect(() => toF16Bits(Number.NaN)).toThrow(/not finite/);
    expect(() => toF16Bits(Number.POSITIVE_INFINITY)).toThrow(/not finite/);
  });
});

describe('rounding to bf16', () => {
  it('matches the nearest-even reference, subnormals and ties included', () => {
    const g = new Generator(6);
    const values = [
      0,
      -0,
      1,
      1 + 2 ** -8,
      1 + 3 * 2 ** -8,
      f32(0x00000001),
      f32(0x00008000),
      f32(0x00018000),
      f32(0x007fffff),
      f32(0x7f7f7fff),
      -f32(0x7f7f7fff),
      3.3895313892515355e38,
      ...g.normalArray(4000, 0, 1),
      ...g.normalArray(1000, 0, 1e-39),
    ].map(Math.fround);
    for (const value of values) expect(toBf16Bits(value), `${value}`).toBe(nearestBf16(value));
    expect(toBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(toBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it('refuses values that round past the largest finite bf16, and non-finite ones', () => {
    expect(() => toBf16Bits(f32(0x7f7fffff))).toThrow(/beyond bf16/);
    expect(() => toBf16Bits(Number.NaN)).toThrow(/not finite/);
    expect(() => toBf16Bits(Number.NEGATIVE_INFINITY)).toThrow(/not finite/);
  });
});

describe('packing', () => {
  it('packs two to a word, low half first, each row padded to whole words, and unpacks exactly', () => {
    const shape = [2, 3];
    const values = [1, -2, 0.5, 65504, -0, 3e-6].map(Math.fround);
    const words = packHalf(values, shape, 'f16');
    expect(Array.from(words, (w) => w >>> 0)).toEqual([0xc0003c00, 0x3800, 0x80007bff, toF16Bits(3e-6)]);
    const back = unpackHalf(words, shape, 'f16');
    expect(Array.from(back)).toEqual(Array.from(values, (v) => fromHalfBits(toF16Bits(v), 'f16')));
    expect(Object.is(back[4], -0)).toBe(true);
  });

  it('the kernels’ fast widening equals the reference bit for bit, for every 16-bit pattern', () => {
    const all = Int32Array.from({ length: 0x8000 }, (_, i) => ((2 * i + 1) << 16) | (2 * i));
    for (const precision of ['f16', 'bf16'] as const) {
      const fast = new Float32Array(0x10000);
      widenWords(all, 0x10000, precision, fast);
      const reference = unpackHalf(all, [0x10000], precision);
      const fastBits = new Uint32Array(fast.buffer);
      const referenceBits = new Uint32Array(reference.buffer);
      // NaNs (never stored: packing refuses them) need only stay NaN; their payloads may differ.
      const mismatches = Array.from(fast.keys()).filter(
        (i) => fastBits[i] !== referenceBits[i] && !(Number.isNaN(fast[i]) && Number.isNaN(reference[i])),
      );
      expect(mismatches, precision).toEqual([]);
    }
  });
});

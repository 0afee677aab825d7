/**
 * `roundToPrecision` checked bit for bit on the active backend against a reference written on typed
 * arrays: float32 → the 16-bit pattern (round to nearest, ties to even) → float32. Shared by the Node
 * tests and the browser's conformance page, so every adapter is held to the same bits.
 */
import { type RoundingFormat, roundToPrecision } from '../ops/round-precision.js';
import { Generator } from '../random.js';
import { tf } from '../tf.js';

const word = new Uint32Array(1);
const single = new Float32Array(word.buffer);

function bitsOf(value: number): number {
  single[0] = value;
  return word[0] as number;
}

function fromBits(bits: number): number {
  word[0] = bits >>> 0;
  return single[0] as number;
}

/** float32 → binary16 bits, ties to even, overflow to ±∞, subnormals kept. */
export function halfBits(value: number): number {
  const bits = bitsOf(value);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const unbiased = exponent === 0 ? -126 : exponent - 127;
  if (unbiased > 15) return sign | 0x7c00;
  // The significand with its hidden bit, and how far right it moves to land on a half's spacing.
  const significand = exponent === 0 ? mantissa : mantissa | 0x800000;
  const shift = unbiased >= -14 ? 13 : 13 + (-14 - unbiased);
  if (shift > 24) return sign; // below half the smallest subnormal (float32 subnormals included)
  let kept = significand >>> shift;
  const rest = significand - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  if (rest > half || (rest === half && (kept & 1) === 1)) kept++;
  // A normal number's kept bits include the hidden one: adding its biased exponent above them carries
  // into the exponent when rounding reaches the next power of two (65520 carries into ∞).
  return unbiased >= -14 ? sign | (((unbiased + 14) << 10) + kept) : sign | kept;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** float32 → bfloat16 (the top 16 bits, rounded to nearest even) → float32. */
export function bfloat16Round(value: number): number {
  const bits = bitsOf(value);
  if (Number.isNaN(value)) return value;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 0;
  return fromBits((rounded >>> 16) << 16);
}

export const roundingReference: Record<RoundingFormat, (value: number) => number> = {
  f16: (value) => halfToNumber(halfBits(value)),
  bf16: bfloat16Round,
};

/** Float32 bit patterns every format must get right: NaNs of either sign and payload, float32's edges. */
const edgeBits = [
  0x7f800001, // a signalling NaN
  0xffc00000, // a negative quiet NaN
  0x7fffffff,
  0x00000001, // float32's smallest subnormal, and its negative
  0x80000001,
  0x007fffff, // float32's largest subnormal
  0x807fffff,
  0x00800000, // float32's smallest normal
  0x7f7fffff, // float32's largest finite, and its negative
  0xff7fffff,
];

/** The edges of each format, around every power of two, and seeded values of every magnitude. */
export function roundingTestValues(format: RoundingFormat): Float32Array {
  const values: number[] = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1, -1];
  values.push(...edgeBits.map(fromBits));
  const [lowExponent, highExponent, mantissaBits] = format === 'f16' ? [-26, 17, 10] : [-135, 127, 7];
  for (let e = lowExponent; e <= highExponent; e++) {
    const power = 2 ** e;
    const spacing = 2 ** Math.max(e - mantissaBits, format === 'f16' ? -24 : -133);
    // The power itself, a float32 ulp either side, and ties halfway to the next value (even and odd).
    for (const v of [power, power * (1 + 2 ** -23), power * (1 - 2 ** -24)]) values.push(v, -v);
    for (const tie of [power + spacing / 2, power + 1.5 * spacing, power + spacing / 2 + spacing / 4]) {
      values.push(tie, -tie);
    }
  }
  if (format === 'f16') {
    // Largest finite, the last value that rounds to it, the first that overflows; subnormal ties.
    values.push(65504, -65504, 65519.99609375, 65520, -65520, 65536, 1e6, 2 ** -25, 3 * 2 ** -25, 2 ** -24);
    // The largest subnormal, the ties either side of it (up into the smallest normal, down to even),
    // and the values a float32 ulp from 2⁻²⁵ (to zero below, to the smallest subnormal above).
    const unit = 2 ** -24;
    values.push(1023 * unit, 1023.5 * unit, -1023.5 * unit, 1022.5 * unit, 1.5 * unit, 2.5 * unit);
    values.push(2 ** -25 * (1 - 2 ** -24), 2 ** -25 * (1 + 2 ** -23), -(2 ** -25) * (1 + 2 ** -23));
  } else {
    // Largest finite, the tie above it (to ∞), the float32 just below that tie, float32's largest.
    const top = 2 ** 127;
    values.push(
      (2 - 2 ** -7) * top,
      (2 - 2 ** -8) * top,
      (2 - 2 ** -8 - 2 ** -23) * top,
      -(2 - 2 ** -23) * top,
    );
    values.push(2 ** -133, 2 ** -149, 3 * 2 ** -134);
  }
  const generator = new Generator(format === 'f16' ? 16 : 7);
  for (let i = 0; i < 2048; i++) {
    const exponent = generator.randint(lowExponent, highExponent + 1);
    values.push((generator.random() < 0.5 ? -1 : 1) * (1 + generator.random()) * 2 ** exponent);
  }
  return Float32Array.from(values);
}

/**
 * Where `actual` differs from the reference rounding of `input` (at most five, as
 * "input → got, expected …"); NaN must stay NaN, any payload.
 */
export function roundingMismatches(
  actual: Float32Array,
  input: Float32Array,
  format: RoundingFormat,
): string[] {
  const mismatches: string[] = [];
  for (let i = 0; i < input.length && mismatches.length < 5; i++) {
    const expected = roundingReference[format](input[i] as number);
    const got = actual[i] as number;
    const same = Number.isNaN(expected) ? Number.isNaN(got) : Object.is(got, expected);
    if (!same) mismatches.push(`${input[i]} → ${got}, expected ${expected}`);
  }
  return mismatches;
}

export interface RoundingCheck {
  name: string;
  mismatches: string[];
}

/**
 * `roundToPrecision` on the active backend, values and the straight-through gradient, in both
 * formats: a check per format and path, each with its mismatches (none when bit-identical).
 */
export async function roundingChecks(): Promise<RoundingCheck[]> {
  const checks: RoundingCheck[] = [];
  for (const format of ['f16', 'bf16'] as const) {
    const input = roundingTestValues(format);
    const x = tf.tensor1d(input);
    const rounded = roundToPrecision(x, format);
    const values = (await rounded.data()) as Float32Array;
    tf.dispose([x, rounded]);
    checks.push({ name: `${format}: values`, mismatches: roundingMismatches(values, input, format) });

    // The upstream gradient reaches the rounding through a float32 product (d sum(r · dy) / dr = dy),
    // which WebGPU lets a device flush to zero for float32 subnormals (SwiftShader does): those are
    // left to the values above.
    const upstream = input.filter((v) => Number.isFinite(v) && (v === 0 || Math.abs(v) >= 2 ** -126));
    const point = tf.tensor1d(new Generator(3).normalArray(upstream.length));
    const dy = tf.tensor1d(upstream);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundToPrecision(t, format), dy)))(point);
    const gradient = (await grad.data()) as Float32Array;
    tf.dispose([point, dy, grad]);
    checks.push({ name: `${format}: gradient`, mismatches: roundingMismatches(gradient, upstream, format) });
  }
  return checks;
}

/**
 * `roundToPrecision` on every backend against a bit-exact reference written on typed arrays: float32 →
 * the 16-bit pattern (round to nearest, ties to even) → float32. Values and gradients must be the
 * reference's, bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { type RoundingFormat, roundComposed, roundToPrecision } from '../ops/round-precision.js';
import { Generator } from '../random.js';
import { findTestBackends } from '../testing.js';
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
function halfBits(value: number): number {
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
function bfloat16Round(value: number): number {
  const bits = bitsOf(value);
  if (Number.isNaN(value)) return value;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 0;
  return fromBits((rounded >>> 16) << 16);
}

const reference: Record<RoundingFormat, (value: number) => number> = {
  f16: (value) => halfToNumber(halfBits(value)),
  bf16: bfloat16Round,
};

/** The edges of each format, around every power of two, and seeded values of every magnitude. */
function testValues(format: RoundingFormat): Float32Array {
  const values: number[] = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1, -1];
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

function expectBitIdentical(actual: Float32Array, input: Float32Array, format: RoundingFormat): void {
  const mismatches: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const expected = reference[format](input[i] as number);
    const got = actual[i] as number;
    const same = Number.isNaN(expected) ? Number.isNaN(got) : Object.is(got, expected);
    if (!same && mismatches.length < 5) mismatches.push(`${input[i]} → ${got}, expected ${expected}`);
  }
  expect(mismatches).toEqual([]);
}

const backends = await findTestBackends();
afterAll(() => initBackend({ prefer: 'cpu' }));

describe('the reference rounding', () => {
  it('knows the halves everyone knows', () => {
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(65504)).toBe(0x7bff);
    expect(halfBits(65520)).toBe(0x7c00);
    expect(halfBits(2 ** -24)).toBe(0x0001);
    expect(halfBits(2 ** -25)).toBe(0x0000); // a tie, to the even zero
    expect(halfBits(3 * 2 ** -25)).toBe(0x0002);
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(halfBits(-0)).toBe(0x8000);
    expect(bfloat16Round(1 + 2 ** -8)).toBe(1);
    expect(bfloat16Round(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
  });
});

describe.each(backends)('roundToPrecision on $backend', ({ backend, available, reason }) => {
  beforeAll(async () => {
    if (!available) return;
    await initBackend({ prefer: backend });
    // Round on the device itself, not on the CPU fallback TF.js uses for tiny WebGPU tensors.
    if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    // The first call makes the table of powers of two, kept for every later one.
    tf.tidy(() => roundComposed(tf.scalar(1), 'f16'));
  });

  const paths = {
    // The backend's kernel where it registers one (wasm, blas), else the composed ops.
    op: roundToPrecision,
    composed: (x: tf.Tensor, format: RoundingFormat) => tf.tidy(() => roundComposed(x, format)),
  };
  it.skipIf(!available).each([
    ['f16', 'op'],
    ['bf16', 'op'],
    ['f16', 'composed'],
    ['bf16', 'composed'],
  ] as const)(
    `%s (%s): values bit-identical to the reference${reason ? ` (skipped: ${reason})` : ''}`,
    async (format, path) => {
      const input = testValues(format);
      const before = tf.memory().numTensors;
      const x = tf.tensor1d(input);
      const rounded = paths[path](x, format);
      const actual = (await rounded.data()) as Float32Array;
      tf.dispose([x, rounded]);
      expectBitIdentical(actual, input, format);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.skipIf(!available).each(['f16', 'bf16'] as const)(
    '%s: the gradient is the upstream gradient, rounded the same way',
    async (format) => {
      const upstream = testValues(format).filter((v) => Number.isFinite(v));
      const x = tf.tensor1d(new Generator(3).normalArray(upstream.length));
      const dy = tf.tensor1d(upstream);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundToPrecision(t, format), dy)))(x);
      const actual = (await grad.data()) as Float32Array;
      tf.dispose([x, dy, grad]);
      expectBitIdentical(actual, upstream, format);
    },
  );
});

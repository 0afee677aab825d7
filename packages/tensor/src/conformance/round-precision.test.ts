/**
 * `roundToPrecision` on every backend against the bit-exact reference of `rounding-check.ts`: the
 * backend's kernel (wasm, blas, webgpu) and the composed ops, values and gradients, bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { type RoundingFormat, roundComposed } from '../ops/round-precision.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import {
  bfloat16Round,
  halfBits,
  roundingChecks,
  roundingMismatches,
  roundingTestValues,
} from './rounding-check.js';

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
    expect(halfBits(1023.5 * 2 ** -24)).toBe(0x0400); // the largest subnormal's tie, up to 2⁻¹⁴
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(halfBits(-0)).toBe(0x8000);
    expect(bfloat16Round(1 + 2 ** -8)).toBe(1);
    expect(bfloat16Round(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
  });
});

describe.each(backends)('roundToPrecision on $backend', ({ backend, available, reason }) => {
  const skipped = reason ? ` (skipped: ${reason})` : '';
  beforeAll(async () => {
    if (!available) return;
    await initBackend({ prefer: backend });
    // Round on the device itself, not on the CPU fallback TF.js uses for tiny WebGPU tensors.
    if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    // The first composed call makes the table of powers of two, kept for every later one.
    tf.tidy(() => roundComposed(tf.scalar(1), 'f16'));
  });

  // The backend's kernel where it registers one (wasm, blas, webgpu), else the composed ops.
  it.skipIf(!available)(`the op: values and gradients bit-identical to the reference${skipped}`, async () => {
    const before = tf.memory().numTensors;
    const checks = await roundingChecks();
    expect(checks.filter((check) => check.mismatches.length > 0)).toEqual([]);
    expect(checks.map((check) => check.name)).toEqual([
      'f16: values',
      'f16: gradient',
      'bf16: values',
      'bf16: gradient',
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!available).each(['f16', 'bf16'] as const)(
    `%s composed from TF.js ops: values bit-identical to the reference${skipped}`,
    async (format: RoundingFormat) => {
      const input = roundingTestValues(format);
      const before = tf.memory().numTensors;
      const x = tf.tensor1d(input);
      const rounded = tf.tidy(() => roundComposed(x, format));
      const actual = (await rounded.data()) as Float32Array;
      tf.dispose([x, rounded]);
      expect(roundingMismatches(actual, input, format)).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

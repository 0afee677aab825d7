import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { roundArrayToPrecision } from '../kernels/round-to-precision-array.js';
import { Generator } from '../random.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { narrowsOnDevice, narrowToHalf } from './narrow-half.js';
import { packHalf } from './rounding.js';
import { widenHalf } from './widen-half.js';

const backends = await findTestBackends();

const bitsOf = (values: Float32Array) =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/**
 * Values that probe every branch of both formats: signed zeros, ∞, NaN, float32 subnormals, a half's
 * subnormals and the ties between them, the edges of its range (65504, 65519.99, 65520), bfloat16's
 * ties and its overflow, and random values from a half's subnormals to past its largest.
 */
function probes(): Float32Array {
  const edges = [
    0,
    -0,
    Infinity,
    -Infinity,
    Number.NaN,
    1e-45,
    -1e-45,
    1.1754942e-38,
    2 ** -25,
    2 ** -25 * 1.0001,
    2 ** -24,
    1.5 * 2 ** -24,
    2.5 * 2 ** -24,
    -3.5 * 2 ** -24,
    2 ** -14 - 2 ** -25,
    2 ** -14,
    65504,
    65519.99,
    65520,
    -65520,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    1 + 2 ** -8,
    1 + 3 * 2 ** -8,
    3.4028235e38,
    -3.4028235e38,
    3.3961776e38,
    1,
    -1,
    0.1,
    1 / 3,
  ];
  const random = new Generator(7);
  const spread = Array.from({ length: 997 }, () => random.normal() * 2 ** random.randint(-28, 14));
  return Float32Array.from([...edges, ...spread]);
}

describe.each(backends)('narrowToHalf on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['f16', 'bf16'] as const)(
    'stores %s values that widen back to exactly what roundToPrecision gives, ∞ and NaN kept',
    async (precision) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      expect(narrowsOnDevice()).toBe(true);
      const values = probes();
      // An odd row (the last word's high half stays zero) and several rows.
      const columns = 13;
      const x = tf.tensor(values.subarray(0, 13 * 79), [79, columns]);
      const before = tf.memory().numTensors;
      const half = narrowToHalf(x, precision);
      expect(half.shape).toEqual([79, 13]);
      expect(half.words.shape).toEqual([79, 7]);
      const wide = widenHalf(half);
      const expected = new Float32Array(13 * 79);
      roundArrayToPrecision(values.subarray(0, 13 * 79), expected, precision === 'f16' ? 0 : 1);
      const got = (await wide.data()) as Float32Array;
      const nan = expected.map((v) => (Number.isNaN(v) ? 1 : 0));
      expect(Array.from(got.map((v) => (Number.isNaN(v) ? 1 : 0)))).toEqual(Array.from(nan));
      const keep = (_: number, i: number) => nan[i] === 0;
      expect(bitsOf(got).filter(keep)).toEqual(bitsOf(expected).filter(keep));
      // The finite values pack as the weights' reference packing does, word for word.
      const words = (await half.words.data()) as Int32Array;
      const finiteRows = Array.from({ length: 79 }, (_, r) => r).filter((r) =>
        expected.subarray(r * 13, r * 13 + 13).every(Number.isFinite),
      );
      expect(finiteRows.length).toBeGreaterThan(60);
      for (const r of finiteRows) {
        const reference = packHalf(expected.subarray(r * 13, r * 13 + 13), [13], precision);
        expect(Array.from(words.subarray(r * 7, r * 7 + 7))).toEqual(Array.from(reference));
      }
      tf.dispose(wide);
      half.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    },
  );
});

describe('narrowToHalf', () => {
  it('refuses what it cannot store, saying what it got', async () => {
    await initBackend({ prefer: 'cpu' });
    const ints = tf.tensor([1, 2], [2], 'int32');
    expect(() => narrowToHalf(ints, 'bf16')).toThrow(/float32 tensor, got int32/);
    const scalar = tf.scalar(1);
    expect(() => narrowToHalf(scalar, 'f16')).toThrow(/rank ≥ 1, got a scalar/);
    tf.dispose([ints, scalar]);
  });
});

import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Generator } from '../random.js';
import { findTestBackends, maxAbsDiff } from '../testing.js';
import { tf } from '../tf.js';
import { gatherHalf } from './gather-half.js';
import { HalfTensor, halfTensor, toHalf } from './half-tensor.js';
import { matMulHalf } from './mat-mul-half.js';
import { fromHalfBits, unpackHalf } from './rounding.js';
import { widenHalf } from './widen-half.js';

const backends = await findTestBackends();

/** Every finite 16-bit pattern of `precision`, two to a word. */
function everyFinitePattern(precision: 'f16' | 'bf16'): { words: Int32Array; count: number } {
  const bits = Array.from({ length: 0x10000 }, (_, b) => b).filter((b) =>
    Number.isFinite(fromHalfBits(b, precision)),
  );
  const words = new Int32Array(Math.ceil(bits.length / 2));
  bits.forEach((b, i) => {
    words[i >> 1] = (words[i >> 1] as number) | (i & 1 ? b << 16 : b);
  });
  return { words, count: bits.length };
}

describe.each(backends)('16-bit weights on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['f16', 'bf16'] as const)(
    'widens every finite %s value bit-exactly (subnormals and ±0 included), all rows or gathered',
    async (precision) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      const { words, count } = everyFinitePattern(precision);
      const w = new HalfTensor(tf.tensor(words, [1, words.length], 'int32'), [1, count], precision);
      const before = tf.memory().numTensors;
      const wide = widenHalf(w);
      const expected = unpackHalf(words, [count], precision);
      expect(Buffer.from((await wide.data()).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      const table = halfTensor(Array.from(expected.subarray(0, 60)), [12, 5], precision);
      const ids = tf.tensor(
        [
          [3, 0],
          [11, 3],
        ],
        [2, 2],
        'int32',
      );
      const rows = gatherHalf(table, ids);
      expect(rows.shape).toEqual([2, 2, 5]);
      const picked = [3, 0, 11, 3].flatMap((id) => Array.from(expected.subarray(id * 5, id * 5 + 5)));
      expect(Array.from(await rows.data())).toEqual(picked);
      tf.dispose([wide, rows, ids]);
      table.dispose();
      expect(tf.memory().numTensors).toBe(before);
      w.dispose();
    },
  );

  it.skipIf(!available).each([
    ['f16', 1, true],
    ['bf16', 1, false],
    ['bf16', 24, true],
    ['f16', 24, false],
  ] as const)(
    '%s products of %i rows (transposeB %s) and their x gradient match float32 ones on the rounded weight',
    async (precision, rows, transposeB) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      const g = new Generator(9);
      const [k, m] = [67, 41];
      const shape = transposeB ? [m, k] : [k, m];
      const w = halfTensor(g.normalArray(k * m, 0, 0.1), shape, precision);
      const x = tf.tensor(g.normalArray(rows * k), [rows, k]);
      const dy = tf.tensor(g.normalArray(rows * m), [rows, m]);
      const before = tf.memory().numTensors;
      const rounded = tf.tensor(unpackHalf((await w.words.data()) as Int32Array, shape, precision), shape);
      const reference = (input: tf.Tensor) => tf.matMul(input, rounded, false, transposeB);
      const [y, expectedY] = [matMulHalf(x, w, { transposeB }), reference(x)];
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(matMulHalf(input, w, { transposeB }), dy)))(x);
      const expectedDx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(reference(input), dy)))(x);
      // float32 sums of 67 (or 41) products in another order: a few ulp of |x|·|w| summed.
      const tolerance = backend === 'cpu' ? 0 : 2e-5;
      expect(maxAbsDiff(await y.data(), await expectedY.data())).toBeLessThanOrEqual(tolerance);
      expect(maxAbsDiff(await dx.data(), await expectedDx.data())).toBeLessThanOrEqual(tolerance);
      tf.dispose([y, expectedY, dx, expectedDx, rounded]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, dy]);
      w.dispose();
    },
  );
});

describe('16-bit weights', () => {
  it('refuse a weight gradient, saying why', async () => {
    await initBackend({ prefer: 'cpu' });
    const w = halfTensor([1, 2, 3, 4], [2, 2], 'bf16');
    const x = tf.ones([1, 2]);
    const loss = (input: tf.Tensor, words: tf.Tensor) =>
      tf.sum(matMulHalf(input, new HalfTensor(words, [2, 2], 'bf16')));
    expect(() => tf.grads(loss)([x, w.words])).toThrow(
      /no gradient for a bf16 weight: 16-bit weights are frozen/,
    );
    tf.dispose(x);
    w.dispose();
  });

  it('toHalf rounds a tensor and refuses what the format cannot hold', async () => {
    await initBackend({ prefer: 'cpu' });
    const x = tf.tensor([1, 1 + 2 ** -9, 70000]);
    await expect(toHalf(x, 'f16')).rejects.toThrow(/70000 at index 2 is beyond f16's largest finite value/);
    const bf16 = await toHalf(x, 'bf16');
    expect(Array.from(await widenHalf(bf16).data())).toEqual([1, 1, 70144]);
    expect(bf16.bytes).toBe(8);
    bf16.dispose();
    x.dispose();
  });

  it('checks shapes with a clear message', async () => {
    await initBackend({ prefer: 'cpu' });
    const w = halfTensor([1, 2, 3, 4, 5, 6], [2, 3], 'f16');
    const x = tf.ones([1, 2]);
    expect(() => matMulHalf(x, w, { transposeB: true })).toThrow(
      /x \[1,2\] cannot multiply a 16-bit weight \[2,3\] transposed/,
    );
    tf.dispose(x);
    w.dispose();
  });
});

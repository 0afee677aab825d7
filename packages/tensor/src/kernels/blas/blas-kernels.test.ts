import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from '../../backend/init-backend.js';
import { requiredBackends } from '../../testing.js';
import { tf } from '../../tf.js';
import { blasProductsActive } from './products.js';

const reason = await initBackend({ prefer: 'blas' }).then(
  () => undefined,
  (error: Error) => error.message,
);
if (reason != null && requiredBackends().includes('blas')) throw new Error(reason);

/** The product on cpu, as the reference. */
async function onCpu(compute: () => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await initBackend({ prefer: 'cpu' });
  const result = compute();
  const out = { shape: result.shape, values: (await result.data()) as Float32Array };
  result.dispose();
  await initBackend({ prefer: 'blas' });
  return out;
}

const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

describe.skipIf(reason != null)(`matrix products in BLAS${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'blas' });
  });
  afterAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('run on the wasm backend with BLAS products, and wasm alone runs without them', async () => {
    expect(currentBackend()?.backend).toBe('blas');
    expect(tf.getBackend()).toBe('wasm');
    expect(blasProductsActive()).toBe(true);
    await initBackend({ prefer: 'wasm' });
    expect(blasProductsActive()).toBe(false);
    await initBackend({ prefer: 'blas' });
    expect(blasProductsActive()).toBe(true);
  });

  const cases: Array<[string, () => tf.Tensor]> = [
    [
      'a broadcast right operand (…, m, k)·(k, n)',
      () => tf.matMul(seeded([2, 3, 5, 7], 1), seeded([7, 4], 2)),
    ],
    [
      'a broadcast left operand with transposes',
      () => tf.matMul(seeded([6, 5], 3), seeded([3, 4, 6], 4), true, true),
    ],
    ['a broadcast batch axis of size 1', () => tf.matMul(seeded([1, 5, 6], 5), seeded([3, 6, 4], 6))],
    [
      'a transposed left operand over a batch',
      () => tf.matMul(seeded([4, 9, 5], 7), seeded([4, 9, 3], 8), true),
    ],
    [
      'large enough for several threads',
      () => tf.matMul(seeded([300, 257], 9), seeded([190, 257], 10), false, true),
    ],
    [
      'a fused bias',
      () => tf.fused.matMul({ a: seeded([2, 5, 6], 11), b: seeded([6, 4], 12), bias: seeded([4], 13) }),
    ],
    [
      'a fused scalar bias, transposed',
      () =>
        tf.fused.matMul({
          a: seeded([6, 5], 14),
          b: seeded([4, 6], 15),
          transposeA: true,
          transposeB: true,
          bias: tf.scalar(0.5),
        }),
    ],
    [
      'a fused activation (left to wasm)',
      () =>
        tf.fused.matMul({
          a: seeded([5, 6], 16),
          b: seeded([6, 4], 17),
          bias: seeded([4], 18),
          activation: 'relu',
        }),
    ],
    ['an empty inner axis', () => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4]))],
    ['an empty result', () => tf.matMul(tf.zeros([0, 3]), seeded([3, 4], 19))],
  ];

  it.each(cases)('match cpu with %s', async (_, compute) => {
    const expected = await onCpu(compute);
    const result = compute();
    expect(result.shape).toEqual(expected.shape);
    const values = (await result.data()) as Float32Array;
    result.dispose();
    expect(values.length).toBe(expected.values.length);
    values.forEach((value, i) => {
      expect(Math.abs(value - expected.values[i]!)).toBeLessThan(1e-5 + 1e-5 * Math.abs(expected.values[i]!));
    });
  });

  it('reject mismatched inner sizes as TF.js does', () => {
    expect(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 2]))).toThrow(/inner shapes \(3\) and \(4\)/);
  });

  it('report the library, its kernels and threads', () => {
    const details = currentBackend()?.limits.details ?? {};
    expect(details.blas).toMatch(/\S/);
    expect(details.blasCoreType).toMatch(/\S/);
    expect(details.blasThreads).toBeGreaterThanOrEqual(1);
  });
});

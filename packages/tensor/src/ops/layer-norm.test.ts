import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Generator } from '../random.js';
import { maxAbsDiff } from '../testing.js';
import { tf } from '../tf.js';
import { layerNorm } from './layer-norm.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

/** The formula written with primitives, differentiated by TF.js's own gradients. */
const composed = (x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, eps = 1e-5) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), scale), shift);
};

describe('layerNorm', () => {
  it('gives each row mean 0 and biased variance 1 − ε/(σ² + ε) before scale and shift', async () => {
    const x = tf.tensor2d([
      [0.2, 0.5, -1.3, 2.2, 0.1],
      [3, 3, 3, 3, 4],
    ]);
    const y = layerNorm(x, tf.ones([5]), tf.zeros([5]));
    const { mean, variance } = tf.moments(y, -1);
    for (const m of await mean.data()) expect(Math.abs(m)).toBeLessThan(1e-6);
    const variances = await variance.data();
    expect(variances[0]).toBeCloseTo(1, 4);
    expect(variances[1]).toBeCloseTo(0.16 / (0.16 + 1e-5), 6);
  });

  it('applies scale and shift per feature, with the ε it is given', async () => {
    const y = await layerNorm(tf.tensor2d([[0, 2]]), tf.tensor1d([2, 3]), tf.tensor1d([1, -1]), 1).data();
    // [0, 2]: mean 1, variance 1, so with ε = 1 the normalised row is [−1, 1]/√2.
    expect(y[0]).toBeCloseTo(1 - 2 / Math.SQRT2, 6);
    expect(y[1]).toBeCloseTo(-1 + 3 / Math.SQRT2, 6);
  });

  it('has the gradients of the composed formula for x, scale and shift', async () => {
    const g = new Generator(3);
    const x = tf.tensor(g.normalArray(3 * 5 * 32, 0, 3), [3, 5, 32]);
    const scale = tf.tensor(g.normalArray(32), [32]);
    const shift = tf.tensor(g.normalArray(32), [32]);
    const upstream = tf.tensor(g.normalArray(3 * 5 * 32), [3, 5, 32]);
    const loss = (fn: typeof layerNorm) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(fn(a, b, c), upstream));
    const own = tf.grads(loss(layerNorm))([x, scale, shift]);
    const reference = tf.grads(loss(composed))([x, scale, shift]);
    for (let i = 0; i < 3; i++) {
      const scaleOf = Math.max(...(await tf.abs(reference[i]!).data()));
      expect(maxAbsDiff(await own[i]!.data(), await reference[i]!.data())).toBeLessThan(1e-5 * scaleOf);
    }
  });

  it('names the shapes when scale or shift does not match the last axis', () => {
    expect(() => layerNorm(tf.zeros([2, 4]), tf.ones([3]), tf.zeros([4]))).toThrow(
      'layerNorm needs scale and shift of shape [4] for x of shape [2,4], got [3] and [4]',
    );
  });
});

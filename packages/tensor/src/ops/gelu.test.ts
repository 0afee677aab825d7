import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Generator } from '../random.js';
import { maxAbsDiff } from '../testing.js';
import { tf } from '../tf.js';
import { gelu } from './gelu.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

/** The formula written with primitives, differentiated by TF.js's own gradients. */
const composed = (x: tf.Tensor) =>
  tf.mul(
    tf.mul(0.5, x),
    tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
  );

describe('gelu', () => {
  it('follows the tanh approximation', async () => {
    const x = [-3, -1, -0.5, 0, 0.5, 1, 3];
    const expected = x.map(
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    );
    const actual = await gelu(tf.tensor1d(x)).data();
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-6);
    expect(actual[5]).toBeCloseTo(0.841192, 5);
  });

  it('has the gradient of the composed formula', async () => {
    const x = tf.tensor(new Generator(1).normalArray(256, 0, 2), [4, 64]);
    const upstream = tf.tensor(new Generator(2).normalArray(256), [4, 64]);
    const own = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), upstream)))(x);
    const reference = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(composed(t), upstream)))(x);
    expect(maxAbsDiff(await own.data(), await reference.data())).toBeLessThan(1e-5);
  });
});

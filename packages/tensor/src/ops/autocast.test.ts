import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { featureSwitch } from '../kernels/webgpu/features.js';
import { Linear } from '../nn/linear.js';
import { Generator } from '../random.js';
import { tf } from '../tf.js';
import { autocast, autocastPrecision } from './autocast.js';
import { matMul } from './mat-mul.js';
import { roundToPrecision } from './round-precision.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const random = (seed: number, shape: number[]) =>
  tf.tensor(new Generator(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);

describe('autocast', () => {
  it('rounds a product’s operands and result, and nothing under f32', async () => {
    const a = random(1, [40, 24]);
    const b = random(2, [32, 24]);
    for (const format of ['f16', 'bf16'] as const) {
      const actual = autocast(format, () => matMul(a, b, false, true));
      const expected = roundToPrecision(
        tf.matMul(roundToPrecision(a, format), roundToPrecision(b, format), false, true),
        format,
      );
      expect(await actual.data()).toEqual(await expected.data());
      expect(await actual.data()).not.toEqual(await tf.matMul(a, b, false, true).data());
      tf.dispose([actual, expected]);
    }
    const plain = autocast('f32', () => matMul(a, b, false, true));
    expect(await plain.data()).toEqual(await tf.matMul(a, b, false, true).data());
    tf.dispose([a, b, plain]);
  });

  it('computes gradients from rounded operands and rounds them', async () => {
    const a = random(3, [40, 24]);
    const b = random(4, [24, 32]);
    const dy = tf.mul(random(5, [40, 32]), 1e-3);
    const [da] = autocast('f16', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(matMul(x, b), dy)))([a]));
    const r = (t: tf.Tensor) => roundToPrecision(t, 'f16');
    const expected = r(tf.matMul(r(dy), r(b), false, true));
    expect(await da!.data()).toEqual(await expected.data());
    tf.dispose([a, b, dy, da!, expected]);
  });

  it('rounds Linear’s product before its bias', async () => {
    const linear = new Linear(24, 16, { generator: new Generator(6) });
    const x = random(7, [2, 40, 24]);
    const actual = autocast('bf16', () => linear.forward(x));
    const r = (t: tf.Tensor) => roundToPrecision(t, 'bf16');
    const product = r(tf.matMul(r(tf.reshape(x, [80, 24])), r(linear.weight), false, true));
    const expected = tf.reshape(tf.add(product, linear.bias!), [2, 40, 16]);
    expect(await actual.data()).toEqual(await expected.data());
    tf.dispose([x, actual, product, expected]);
    linear.dispose();
  });

  it('restores the precision and the WebGPU switch, also after an error', () => {
    const before = featureSwitch().f16;
    autocast('f16', () => {
      expect(autocastPrecision()).toBe('f16');
      expect(featureSwitch().f16).toBe(true);
      autocast('f32', () => {
        expect(autocastPrecision()).toBe('f32');
        expect(featureSwitch().f16).toBe(before);
      });
      expect(featureSwitch().f16).toBe(true);
    });
    expect(() =>
      autocast('bf16', () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(autocastPrecision()).toBe('f32');
    expect(featureSwitch().f16).toBe(before);
  });

  it('refuses an asynchronous function, whose products would run after it ends', () => {
    expect(() => autocast('f16', async () => 1)).toThrow(/synchronous/);
    expect(autocastPrecision()).toBe('f32');
  });

  it('leaves no tensors behind', () => {
    const a = random(8, [40, 24]);
    const before = tf.memory().numTensors;
    autocast('f16', () => {
      const grads = tf.grads((x: tf.Tensor) => tf.sum(matMul(x, x, false, true)))([a]);
      tf.dispose(grads);
    });
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

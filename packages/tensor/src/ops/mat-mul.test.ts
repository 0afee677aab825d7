/**
 * On wasm without BLAS, `matMul` makes transposed and batched products plain 2-D ones, with its own
 * gradient: the values and gradients must be TF.js's product's, and a frozen operand (a base weight
 * under LoRA) must cost no gradient product.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { replaceKernel } from '../kernels/register.js';
import { Generator } from '../random.js';
import { maxAbsDiff } from '../testing.js';
import { tf } from '../tf.js';
import { valueAndGradients } from './gradients.js';
import { matMul, productsTakeTransposes } from './mat-mul.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
afterAll(() => initBackend({ prefer: 'cpu' }));

function normal(generator: Generator, shape: number[]): tf.Tensor {
  return tf.tensor(generator.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

/** Product kernels run while `f` runs (wasm's plain product is BatchMatMul). */
async function productKernels(f: () => tf.TensorContainer): Promise<number> {
  const profile = await tf.profile(() => {
    tf.dispose(f());
  });
  return profile.kernels.filter((kernel) => kernel.name === 'BatchMatMul').length;
}

describe('matMul on wasm without BLAS', () => {
  it('takes transposes as copies there', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(productsTakeTransposes()).toBe(false);
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])(
    'gives TF.js product’s values and gradients (transposeA %s, transposeB %s)',
    (transposeA, transposeB) => {
      const generator = new Generator(7);
      // 3 batches of 20 × 12 by 12 × 17, stored as each transpose flag says.
      const a = normal(generator, transposeA ? [3, 12, 20] : [3, 20, 12]);
      const b = normal(generator, transposeB ? [3, 17, 12] : [3, 12, 17]);
      const dy = normal(generator, [3, 20, 17]);
      const ours = valueAndGradients(() => matMul(a, b, transposeA, transposeB), [a, b], dy);
      const theirs = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB));
      const [da, db] = theirs([a, b], dy);
      const reference = tf.matMul(a, b, transposeA, transposeB);
      expect(maxAbsDiff(ours.value.dataSync(), reference.dataSync())).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.grads[0]!.dataSync(), da!.dataSync())).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.grads[1]!.dataSync(), db!.dataSync())).toBeLessThan(1e-5);
      tf.dispose([a, b, dy, ours.value, ...ours.grads, da, db, reference]);
    },
  );

  it('computes no gradient product for a frozen weight', async () => {
    const generator = new Generator(8);
    const x = tf.variable(normal(generator, [32, 24]));
    const frozen = tf.variable(normal(generator, [40, 24]), false);
    const before = tf.memory().numTensors;
    // The forward product, then x's gradient alone: two products, not three.
    const step = () => {
      const { value, grads } = valueAndGradients(() => tf.sum(matMul(x, frozen, false, true)), [x]);
      return [value, ...grads];
    };
    expect(await productKernels(step)).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    // Trained, it takes the third.
    const trained = tf.variable(normal(generator, [40, 24]));
    expect(
      await productKernels(() => {
        const { value, grads } = valueAndGradients(
          () => tf.sum(matMul(x, trained, false, true)),
          [x, trained],
        );
        return [value, ...grads];
      }),
    ).toBe(3);
    tf.dispose([x, frozen, trained]);
  });

  it('hands XNNPACK no large variable as a right operand, which it would keep a packed copy of', async () => {
    const generator = new Generator(9);
    const x = tf.variable(normal(generator, [32, 1024]));
    // A frozen 1024 × 512 weight (2 MiB) and a small one (16 KiB, cheap to keep packed).
    const large = tf.variable(normal(generator, [512, 1024]), false);
    const small = tf.variable(normal(generator, [4, 1024]), false);
    const rightOperands: tf.DataId[] = [];
    const original = replaceKernel('wasm', 'BatchMatMul', (kernel) => (args) => {
      rightOperands.push((args.inputs.b as tf.TensorInfo).dataId);
      return kernel(args);
    });
    try {
      // Forward x·Wᵀ (a transposed copy), backward dx = dy·W: W itself would be the operand.
      const { value, grads } = valueAndGradients(
        () => tf.add(tf.sum(matMul(x, large, false, true)), tf.sum(matMul(x, small, false, true))),
        [x],
      );
      tf.dispose([value, ...grads]);
    } finally {
      replaceKernel('wasm', 'BatchMatMul', () => original!);
    }
    expect(rightOperands).toHaveLength(4);
    expect(rightOperands).not.toContain(large.dataId);
    expect(rightOperands).toContain(small.dataId);
    tf.dispose([x, large, small]);
  });
});

import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CrossEntropyOptions, crossEntropy } from './cross-entropy.js';
import { loadFixture, maxAbsDiff } from './test-support/fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

async function lossOf(logits: number[][], targets: number[], options?: CrossEntropyOptions): Promise<number> {
  const loss = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(targets, 'int32'), options));
  const [value] = await loss.data();
  loss.dispose();
  return value as number;
}

/** Loss value and d loss / d logits. */
async function lossAndGrad(logits: tf.Tensor, targets: tf.Tensor, options?: CrossEntropyOptions) {
  const { value, grad } = tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropy(x, targets, options))(logits);
    return { value, grad };
  });
  const out = { loss: (await value.data())[0] as number, grad: await grad.data() };
  tf.dispose([value, grad]);
  return out;
}

describe('crossEntropy: the chapter 7 figures', () => {
  const logits = [
    [-1, 1],
    [-0.5, 1.5],
  ];

  it('gives 1.1269 for two rows, 0.7936 with a third, and 1.1269 again when that target is -100', async () => {
    expect((await lossOf(logits, [0, 1])).toFixed(4)).toBe('1.1269');
    expect((await lossOf([...logits, [-0.5, 1.5]], [0, 1, 1])).toFixed(4)).toBe('0.7936');
    expect((await lossOf([...logits, [-0.5, 1.5]], [0, 1, -100])).toFixed(4)).toBe('1.1269');
  });

  it('honours another ignoreIndex', async () => {
    expect((await lossOf([...logits, [-0.5, 1.5]], [0, 1, 7], { ignoreIndex: 7 })).toFixed(4)).toBe('1.1269');
  });
});

describe('crossEntropy against torch.nn.functional.cross_entropy (fixture)', () => {
  const fixture = loadFixture(
    new URL('../fixtures/cross-entropy/cross-entropy.safetensors', import.meta.url),
  );

  it('matches the mean loss and its gradient within 1e-6', async () => {
    const logits = fixture.tensor('logits');
    const targets = fixture.tensor('targets');
    const { loss, grad } = await lossAndGrad(logits, targets);
    expect(Math.abs(loss - fixture.number('loss'))).toBeLessThan(1e-6);
    expect(maxAbsDiff(grad, fixture.values('grad'))).toBeLessThan(1e-6);
    tf.dispose([logits, targets]);
  });

  it('matches the sum and per-target losses within 1e-6', async () => {
    const logits = fixture.tensor('logits');
    const targets = fixture.tensor('targets');
    const sum = await lossOf((await logits.array()) as number[][], [...(await targets.data())], {
      reduction: 'sum',
    });
    expect(Math.abs(sum - fixture.number('loss_sum'))).toBeLessThan(1e-5 * Math.abs(sum));
    const none = tf.tidy(() => crossEntropy(logits, targets, { reduction: 'none' }));
    expect(none.shape).toEqual([6]);
    expect(maxAbsDiff(await none.data(), fixture.values('loss_none'))).toBeLessThan(1e-6);
    tf.dispose([logits, targets, none]);
  });

  it('gives the same loss and gradient for [B, T, V] logits with [B, T] targets', async () => {
    const logits = tf.reshape(fixture.tensor('logits'), [2, 3, 50]);
    const targets = tf.reshape(fixture.tensor('targets'), [2, 3]);
    const { loss, grad } = await lossAndGrad(logits, targets);
    expect(Math.abs(loss - fixture.number('loss'))).toBeLessThan(1e-6);
    expect(maxAbsDiff(grad, fixture.values('grad'))).toBeLessThan(1e-6);
    tf.dispose([logits, targets]);
  });

  it('gives ignored rows exactly zero gradient', async () => {
    const logits = fixture.tensor('logits');
    const targets = fixture.tensor('targets');
    const { grad } = await lossAndGrad(logits, targets);
    for (const row of [1, 4]) expect(grad.slice(row * 50, (row + 1) * 50).every((g) => g === 0)).toBe(true);
    tf.dispose([logits, targets]);
  });
});

describe('crossEntropy edge cases', () => {
  it('is 0 with a zero gradient when every target is ignored (PyTorch: NaN)', async () => {
    const logits = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const targets = tf.tensor1d([-100, -100], 'int32');
    const { loss, grad } = await lossAndGrad(logits, targets);
    expect(loss).toBe(0);
    expect([...grad]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await lossOf([[1, 2, 3]], [-100], { reduction: 'sum' })).toBe(0);
    tf.dispose([logits, targets]);
  });

  it('makes the loss NaN for a target outside the vocabulary, so a training loop stops', async () => {
    expect(await lossOf([[1, 2, 3]], [3])).toBeNaN();
    expect(await lossOf([[1, 2, 3]], [-1])).toBeNaN();
  });

  it('stays finite for huge logits (log-sum-exp is max-subtracted)', async () => {
    expect(await lossOf([[1000, 0, -1000]], [1])).toBeCloseTo(1000, 3);
  });

  it('scales the sum gradient by dy and the mean gradient by dy / count', async () => {
    const logits = tf.tensor2d([
      [0.5, -1, 2],
      [1, 1, 0],
      [3, 0, 1],
    ]);
    const targets = tf.tensor1d([2, -100, 0], 'int32');
    const sum = await lossAndGrad(logits, targets, { reduction: 'sum' });
    const mean = await lossAndGrad(logits, targets);
    expect(mean.loss).toBeCloseTo(sum.loss / 2, 6);
    expect(
      maxAbsDiff(
        mean.grad,
        sum.grad.map((g) => g / 2),
      ),
    ).toBeLessThan(1e-7);
    // softmax − onehot, row by row: each kept row's gradient sums to zero.
    for (const row of [0, 2])
      expect(Math.abs(sum.grad[row * 3]! + sum.grad[row * 3 + 1]! + sum.grad[row * 3 + 2]!)).toBeLessThan(
        1e-6,
      );
    tf.dispose([logits, targets]);
  });

  it('never builds a one-hot of the vocabulary', async () => {
    const logits = tf.randomNormal([4, 1000]);
    const targets = tf.tensor1d([3, 999, -100, 0], 'int32');
    const profile = await tf.profile(() => {
      const grad = tf.grad((x: tf.Tensor) => crossEntropy(x, targets))(logits);
      grad.dispose();
    });
    const kernels = new Set(profile.kernels.map((kernel) => kernel.name));
    expect(kernels.has('ScatterNd')).toBe(true);
    expect(kernels.has('OneHot')).toBe(false);
    tf.dispose([logits, targets]);
  });

  it('leaves no tensors behind, with or without a gradient', async () => {
    const logits = tf.randomNormal([2, 4, 7]);
    const targets = tf.tensor2d(
      [
        [1, 2, -100, 6],
        [0, 0, 5, -100],
      ],
      [2, 4],
      'int32',
    );
    const before = tf.memory().numTensors;
    tf.tidy(() => crossEntropy(logits, targets)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    await lossAndGrad(logits, targets);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, targets]);
  });

  it('rejects mismatched shapes and dtypes with a clear message', () => {
    tf.tidy(() => {
      const logits = tf.zeros([2, 3, 5]);
      expect(() => crossEntropy(logits, tf.zeros([2, 4], 'int32'))).toThrow(
        'crossEntropy needs logits [N, V] with targets [N], or [B, T, V] with [B, T]; got logits [2, 3, 5] and targets [2, 4]',
      );
      expect(() => crossEntropy(logits, tf.zeros([2, 3]))).toThrow(
        'crossEntropy needs int32 targets, got float32',
      );
      expect(() => crossEntropy(tf.zeros([5]), tf.zeros([], 'int32'))).toThrow(/needs logits \[N, V\]/);
      expect(() => crossEntropy(logits, tf.zeros([2, 3], 'int32'), { reduction: 'avg' as never })).toThrow(
        "reduction must be 'mean', 'sum' or 'none', got 'avg'",
      );
    });
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { tf } from '../tf.js';
import { IGNORE_INDEX, softmaxCrossEntropy } from './softmax-cross-entropy.js';

afterAll(() => initBackend({ prefer: 'cpu' }));

// Composed on cpu, the fused kernel on wasm.
describe.each(['cpu', 'wasm'] as const)('softmaxCrossEntropy options on %s', (backend) => {
  const logits = [
    [-1, 1, 0.5],
    [-0.5, 1.5, 0],
    [2, 0, -1],
  ];

  it('ignores IGNORE_INDEX (-100) by default, and another ignoreIndex when asked', async () => {
    await initBackend({ prefer: backend });
    expect(IGNORE_INDEX).toBe(-100);
    const rowsOf = (targets: number[], options = {}) =>
      tf.tidy(() =>
        softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor1d(targets, 'int32'), {
          ...options,
          reduction: 'none',
        }).loss.arraySync(),
      );
    const kept = rowsOf([0, 1, 2]);
    expect(rowsOf([0, -100, 2])).toEqual([kept[0], 0, kept[2]]);
    expect(rowsOf([0, 7, 2], { ignoreIndex: 7 })).toEqual([kept[0], 0, kept[2]]);
  });

  it("sums the rows unless reduction is 'none', and gives d logits only with gradient", async () => {
    await initBackend({ prefer: backend });
    const [sum, rows, withGradient] = tf.tidy(() => {
      const x = tf.tensor2d(logits);
      const targets = tf.tensor1d([2, 1, -100], 'int32');
      const plain = softmaxCrossEntropy(x, targets);
      expect(plain.dLogits).toBeUndefined();
      expect(plain.loss.shape).toEqual([]);
      const perRow = softmaxCrossEntropy(x, targets, { reduction: 'none' });
      expect(perRow.loss.shape).toEqual([3]);
      const both = softmaxCrossEntropy(x, targets, { gradient: true });
      expect(both.dLogits?.shape).toEqual([3, 3]);
      return [plain.loss.arraySync(), perRow.loss.arraySync(), both.loss.arraySync()];
    });
    expect(sum).toBeCloseTo(rows[0]! + rows[1]!, 6);
    expect(rows[2]).toBe(0);
    expect(withGradient).toBe(sum);
  });
});

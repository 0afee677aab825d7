import { describe, expect, it } from 'vitest';
import { initBackend, preferredShardBytes } from '../../backend/init-backend.js';
import { memoryBudgetBytes } from '../../backend/memory-budget.js';
import { heapView } from '../../ops/heap-view.js';
import { tf } from '../../tf.js';

describe('on wasm', () => {
  it('a clone shares its source’s memory (TF.js saves tensors for gradients as clones)', async () => {
    await initBackend({ prefer: 'wasm' });
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
  });

  it('transposes that move no data share memory; others copy', async () => {
    await initBackend({ prefer: 'wasm' });
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const same = tf.transpose(x, [0, 1]);
    expect(same.dataId).toBe(x.dataId);
    const row = tf.tensor2d([1, 2, 3], [1, 3]);
    const column = tf.transpose(row);
    expect(column.dataId).toBe(row.dataId);
    expect(column.shape).toEqual([3, 1]);
    const swapped = tf.transpose(x);
    expect(swapped.dataId).not.toBe(x.dataId);
    expect(await swapped.array()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    tf.dispose([x, row]);
    // The shared data outlives the tensor it came from.
    expect(Array.from(await same.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await column.data())).toEqual([1, 2, 3]);
    tf.dispose([same, column, swapped]);
  });

  it('exposes tensor memory without copying', async () => {
    await initBackend({ prefer: 'wasm' });
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(heapView(x)!)).toEqual([1, 2, 3]);
    x.dispose();
    expect(heapView(tf.tensor1d([1], 'int32'))).toBeUndefined();
  });

  it('has a 4 GiB memory budget; cpu has none', async () => {
    await initBackend({ prefer: 'wasm' });
    expect(memoryBudgetBytes()).toBe(4 * 2 ** 30);
    await initBackend({ prefer: 'cpu' });
    expect(memoryBudgetBytes()).toBeNull();
  });

  it('prefers 32 MiB pieces for vocabulary-sized parameters', async () => {
    await initBackend({ prefer: 'wasm' });
    expect(preferredShardBytes()).toBe(32 * 2 ** 20);
    await initBackend({ prefer: 'cpu' });
    expect(preferredShardBytes()).toBeNull();
  });
});

describe('Slice and SplitV on wasm read the heap in place', () => {
  const cases: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
    { shape: [7], begin: [2], size: [4] },
    { shape: [5, 6], begin: [1, 0], size: [3, 6] }, // whole rows: one contiguous run
    { shape: [5, 6], begin: [1, 2], size: [3, 3] },
    { shape: [3, 4, 5], begin: [1, 1, 2], size: [2, -1, 2] },
    { shape: [2, 3, 4, 5], begin: [0, 1, 0, 3], size: [2, 2, 4, 2] },
    { shape: [2, 2, 3, 2, 3], begin: [1, 0, 1, 1, 0], size: [1, 2, 2, 1, 3] },
    { shape: [4, 3], begin: [2, 1], size: [0, 2] },
  ];
  const values = (shape: number[]) =>
    Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i * 1.5 - 7);

  it.each(cases)(
    'slices $shape at $begin, size $size as cpu does, for every dtype',
    async ({ shape, begin, size }) => {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const results: number[][] = [];
        for (const backend of ['cpu', 'wasm'] as const) {
          await initBackend({ prefer: backend });
          const x = tf.tensor(values(shape), shape, dtype);
          const sliced = tf.slice(x, begin, size);
          results.push(Array.from(await sliced.data()));
          tf.dispose([x, sliced]);
        }
        expect(results[1], dtype).toEqual(results[0]);
      }
    },
  );

  it.each([
    { shape: [6, 10], splits: [3, 5, 2], axis: 1 },
    { shape: [6, 10], splits: 3, axis: 0 },
    { shape: [2, 4, 9], splits: [4, 4, 1], axis: -1 },
    { shape: [2, 4, 9], splits: [1, 3], axis: 1 },
  ])('splits $shape into $splits along axis $axis as cpu does', async ({ shape, splits, axis }) => {
    const results: number[][][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ prefer: backend });
      const x = tf.tensor(values(shape), shape);
      const pieces = tf.split(x, splits, axis);
      results.push(await Promise.all(pieces.map(async (piece) => Array.from(await piece.data()))));
      tf.dispose([x, ...pieces]);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])(
    'adds a fused bias after a product with transposes (%s, %s) as cpu does',
    async (transposeA, transposeB) => {
      const results: number[][] = [];
      for (const backend of ['cpu', 'wasm'] as const) {
        await initBackend({ prefer: backend });
        const a = tf.tensor(values(transposeA ? [5, 4] : [4, 5]), transposeA ? [5, 4] : [4, 5]);
        const b = tf.tensor(values(transposeB ? [3, 5] : [5, 3]), transposeB ? [3, 5] : [5, 3]);
        const bias = tf.tensor1d([100, 200, 300]);
        const product = tf.fused.matMul({ a, b, transposeA, transposeB, bias });
        results.push(Array.from(await product.data()));
        tf.dispose([a, b, bias, product]);
      }
      expect(results[1]).toEqual(results[0]);
    },
  );

  it('refuses a fused bias and activation after a transposed product instead of computing it wrongly', async () => {
    await initBackend({ prefer: 'wasm' });
    const a = tf.ones([4, 5]);
    expect(() =>
      tf.fused.matMul({ a, b: tf.ones([3, 5]), transposeB: true, bias: tf.ones([3]), activation: 'relu' }),
    ).toThrow(
      /_FusedMatMul on wasm cannot add a bias before a relu activation when an operand is transposed/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { NoInitGenerator } from '../no-init.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { emptyTensor, tensorFromPieces, tensorsFromPieces } from './tensor-from-pieces.js';

const backends = await findTestBackends();

/** Writes 0, 1, 2, … in pieces of `size` values, last piece first. */
function countingFill(total: number, size: number) {
  return async (write: (offset: number, values: Float32Array) => void) => {
    const starts = Array.from({ length: Math.ceil(total / size) }, (_, i) => i * size).reverse();
    for (const start of starts) {
      const end = Math.min(total, start + size);
      write(
        start,
        Float32Array.from({ length: end - start }, (_, i) => start + i),
      );
    }
  };
}

describe.each(backends)('tensors written in pieces on $backend', ({ backend, available }) => {
  it.skipIf(!available)('hold every piece where it was written', async () => {
    await initBackend({ prefer: backend });
    const tensor = await tensorFromPieces([3, 5], countingFill(15, 4));
    expect(tensor.shape).toEqual([3, 5]);
    expect(tensor.dtype).toBe('float32');
    expect([...(await tensor.data())]).toEqual(Array.from({ length: 15 }, (_, i) => i));
    tensor.dispose();
  });

  it.skipIf(!available)('split pieces that span two tensors between them, in order', async () => {
    await initBackend({ prefer: backend });
    const shapes = [
      [2, 3],
      [1, 3],
      [3, 3],
    ];
    const tensors = await tensorsFromPieces(shapes, countingFill(18, 7));
    expect(tensors.map((t) => t.shape)).toEqual(shapes);
    const read = await Promise.all(tensors.map(async (t) => [...(await t.data())]));
    expect(read).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8],
      [9, 10, 11, 12, 13, 14, 15, 16, 17],
    ]);
    tf.dispose(tensors);
  });

  it.skipIf(!available)('refuse a piece outside the tensors and leave nothing allocated', async () => {
    await initBackend({ prefer: backend });
    const before = tf.memory().numTensors;
    await expect(
      tensorsFromPieces([[2], [2]], async (write) => write(3, new Float32Array(2))),
    ).rejects.toThrow('tensorsFromPieces: a piece of 2 values at 3 lies outside the 4 values');
    await expect(
      tensorFromPieces([4], async () => {
        throw new Error('the file was cut short');
      }),
    ).rejects.toThrow('the file was cut short');
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!available)('build models without drawing: empty tensors of the right shape', async () => {
    await initBackend({ prefer: backend });
    const tensor = emptyTensor([4, 2]);
    expect([tensor.shape, tensor.dtype]).toEqual([[4, 2], 'float32']);
    tensor.dispose();
    const generator = new NoInitGenerator();
    const drawn = generator.normalTensor([3]);
    expect(drawn.shape).toEqual([3]);
    // Drawing nothing leaves the stream where it was.
    expect(generator.getState()).toEqual(new NoInitGenerator().getState());
    drawn.dispose();
  });
});

import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchTensors } from './loss.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('batchTensors', () => {
  it('gives int32 tensors [batchSize, length] that the caller disposes', async () => {
    const batch = {
      inputs: Int32Array.from([1, 2, 3, 4, 5, 6]),
      targets: Int32Array.from([2, 3, 4, 5, 6, 7]),
      batchSize: 2,
      length: 3,
    };
    const before = tf.memory().numTensors;
    const { inputs, targets } = batchTensors(batch);
    expect([inputs.shape, inputs.dtype, targets.dtype]).toEqual([[2, 3], 'int32', 'int32']);
    expect(await targets.array()).toEqual([
      [2, 3, 4],
      [5, 6, 7],
    ]);
    tf.dispose([inputs, targets]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

import { describe, expect, it } from 'vitest';
import { initBackend, probeWebGPU } from '../../backend/init-backend.js';
import { requiredBackends } from '../../testing.js';
import { tf } from '../../tf.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';

const adapter = await probeWebGPU();
const runs = !('reason' in adapter) || requiredBackends().includes('webgpu');

describe.skipIf(!runs)('WebGPU UnsortedSegmentSum (the embedding gradient)', () => {
  it('adds the rows of repeated ids into a table', async () => {
    await initBackend({ prefer: 'webgpu' });
    const rows = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = tf.tensor1d([3, 0, 3, 5], 'int32');
    // Ours, not TF.js's: that one transposes the whole table twice.
    expect(tf.getKernel('UnsortedSegmentSum', 'webgpu')?.kernelFunc).toBe(unsortedSegmentSum);
    const sums = tf.unsortedSegmentSum(rows, ids, 6);
    expect(await sums.array()).toEqual([
      [3, 4],
      [0, 0],
      [0, 0],
      [1 + 5, 2 + 6],
      [0, 0],
      [7, 8],
    ]);
  });

  it('is the gradient of gather over a vocabulary-sized table', async () => {
    await initBackend({ prefer: 'webgpu' });
    const table = tf.variable(tf.zeros([50257, 8]));
    const ids = tf.tensor1d([50256, 7, 7], 'int32');
    const { grads } = tf.variableGrads(() => tf.sum(tf.gather(table, ids)), [table]);
    const grad = grads[table.name]!;
    const picked = await tf.gather(grad, tf.tensor1d([50256, 7, 0], 'int32')).array();
    expect(picked).toEqual([new Array(8).fill(1), new Array(8).fill(2), new Array(8).fill(0)]);
    expect(await tf.sum(grad).array()).toBe(24);
  });
});

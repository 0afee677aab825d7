import { tf } from '@scratchgpt/tensor';
import type { Batch } from './data-loader.js';

/** A batch as int32 tensors `[batchSize, length]`. The caller owns them and disposes them. */
export function batchToTensors(batch: Batch): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.length];
  return {
    inputs: tf.tensor2d(batch.inputs, shape, 'int32'),
    targets: tf.tensor2d(batch.targets, shape, 'int32'),
  };
}

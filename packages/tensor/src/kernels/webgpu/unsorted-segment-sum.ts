/**
 * `UnsortedSegmentSum` on WebGPU (the gradient of `gather`, i.e. of every embedding lookup): TF.js
 * computes it on a transposed copy and transposes the vocabulary-sized result back, a transpose that
 * alone takes seconds on a software adapter (SwiftShader). A `ScatterNd` of the rows into the table
 * gives the same sums (it adds rows whose ids repeat) without either transpose. Ids must lie in
 * [0, numSegments), as every embedding gradient's do.
 */
import { tf } from '../../tf.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { internals } from './dispatch.js';

function kernel(name: string): tf.KernelFunc {
  const found = tf.getKernel(name, 'webgpu');
  if (found == null) throw new Error(`The WebGPU backend has no ${name} kernel`);
  return found.kernelFunc;
}

export function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  const trailingShape = x.shape.slice(segmentIds.shape.length);
  const indices = kernel('Reshape')({
    inputs: { x: segmentIds },
    backend,
    attrs: { shape: [idCount, 1] },
  }) as tf.TensorInfo; // (n, 1): one row index per id
  const result = kernel('ScatterNd')({
    inputs: { indices, updates: x },
    backend,
    attrs: { shape: [numSegments, ...trailingShape] },
  }) as tf.TensorInfo;
  internals(backend).disposeData(indices.dataId);
  return result;
}

export const unsortedSegmentSumConfig: KernelPatch = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'webgpu',
  kernelFunc: unsortedSegmentSum,
};

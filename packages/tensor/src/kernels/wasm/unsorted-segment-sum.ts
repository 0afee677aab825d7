/**
 * `UnsortedSegmentSum`, which TF.js's wasm backend lacks: the gradient of `gather`, i.e. of every
 * embedding lookup.
 */
import { tf } from '../../tf.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = wasmBackend(backend);
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  const trailingShape = x.shape.slice(segmentIds.shape.length);
  const blockSize = tf.util.sizeFromShape(trailingShape);
  // Allocate first: growing the heap detaches every view taken before.
  const output = wasm.makeOutput([numSegments, ...trailingShape], x.dtype);
  const out = wasm.typedArrayFromHeap(output);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  out.fill(0);
  for (let i = 0; i < idCount; i++) {
    const segment = ids[i] as number;
    // TensorFlow drops negative ids; larger ones are a caller's bug.
    if (segment < 0) continue;
    if (segment >= numSegments) {
      throw new Error(`UnsortedSegmentSum: segment id ${segment} is not below numSegments ${numSegments}`);
    }
    const from = i * blockSize;
    const to = segment * blockSize;
    for (let j = 0; j < blockSize; j++) out[to + j] = (out[to + j] as number) + (values[from + j] as number);
  }
  return output;
}

export const unsortedSegmentSumConfig: KernelPatch = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
  // A TF.js that has one keeps its own.
  onlyWhereMissing: true,
};

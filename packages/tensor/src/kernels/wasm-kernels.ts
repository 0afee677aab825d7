/**
 * Kernels TF.js's wasm backend lacks or that it runs wastefully, written against its heap.
 * - `UnsortedSegmentSum` (missing) is the gradient of `gather`, i.e. of every embedding lookup.
 * - `Identity` copies its input on wasm, and TF.js clones every tensor it saves for a backward pass
 *   through it: every activation and weight a gradient needs was held twice. Sharing the data, as the
 *   cpu backend does, halves training memory (tensors are immutable: sharing is safe).
 */
import { tf } from '../tf.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

function sharingIdentity(copying: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return copying(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

function unsortedSegmentSum({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const wasm = backend as unknown as WasmBackendLike;
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

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum,
    });
  }
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity != null) {
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({
      kernelName: 'Identity',
      backendName: 'wasm',
      kernelFunc: sharingIdentity(identity.kernelFunc),
    });
  }
}

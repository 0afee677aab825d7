/**
 * `SplitV` on wasm reads the heap in place and copies only each piece: TF.js's reads its whole input
 * through a copy of it on every piece (splitting a chunk of logits into five vocabulary shards copied
 * it five times).
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';
import { sliceOnHeap } from './slice.js';

function heapSplitV(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((piece) => {
      const size = [...x.shape];
      size[axis] = piece;
      const output = sliceOnHeap(wasmBackend(args.backend), x, [...begin], size);
      begin[axis] = (begin[axis] as number) + piece;
      return output;
    });
  };
}

export const splitVConfig: KernelPatch = { kernelName: tf.SplitV, backendName: 'wasm', wrap: heapSplitV };

/**
 * `Transpose` on wasm shares its input where the permutation moves no data (only size-1 axes move):
 * TF.js copies it. Its gradient of `gather`, i.e. of every embedding lookup, ends with one such
 * transpose of the whole table.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

/** Whether transposing `shape` by `perm` leaves every element where it is (only size-1 axes move). */
export function movesNoData(shape: readonly number[], perm: readonly number[]): boolean {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  return kept.every((axis, i) => i === 0 || axis > (kept[i - 1] as number));
}

function sharingTranspose(copying: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    if (x.dtype === 'string' || !movesNoData(x.shape, perm)) return copying(args);
    wasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: perm.map((axis) => x.shape[axis] as number), dtype: x.dtype };
  };
}

export const transposeConfig: KernelPatch = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  wrap: sharingTranspose,
};

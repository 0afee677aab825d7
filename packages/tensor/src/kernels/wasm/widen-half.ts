/**
 * Kernel `ScratchGPTWidenHalf` on wasm (and so on blas): packed 16-bit words → float32, all rows or
 * those `ids` names, read and written in the backend's heap. It is how the products of many rows widen
 * one weight at a time, and how embeddings look up their rows.
 */
import { type HalfAttrs, widenedShape } from '../../half/half-kernel.js';
import { widenWords } from '../../half/widen-words.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

function wasmWidenHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { words, ids } = inputs as { words: tf.TensorInfo; ids?: tf.TensorInfo };
  const { bf16, columns } = attrs as unknown as HalfAttrs;
  const wasm = wasmBackend(backend);
  // Allocate first: growing the heap detaches every view taken before.
  const out = wasm.makeOutput(widenedShape(words, columns, ids), 'float32');
  const values = wasm.typedArrayFromHeap(out) as Float32Array;
  const rows = ids == null ? undefined : (wasm.typedArrayFromHeap(ids) as Int32Array);
  try {
    widenWords(wasm.typedArrayFromHeap(words) as Int32Array, columns, bf16 ? 'bf16' : 'f16', values, rows);
  } catch (error) {
    wasm.disposeData(out.dataId);
    throw error;
  }
  return out;
}

export const widenHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.widenHalf,
  backendName: 'wasm',
  kernelFunc: wasmWidenHalf,
};

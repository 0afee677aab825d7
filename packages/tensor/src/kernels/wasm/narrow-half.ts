/**
 * Kernel `ScratchGPTNarrowHalf` on wasm (and so on blas): float32 → packed 16-bit words, read and
 * written in the backend's heap. It is how a product under 16-bit autocast keeps its operands for the
 * backward pass in half the bytes.
 */

import { narrowWords } from '../../half/narrow-words.js';
import { wordShape } from '../../half/rounding.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

function wasmNarrowHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { bf16 } = attrs as unknown as { bf16: boolean };
  const wasm = wasmBackend(backend);
  // Allocate first: growing the heap detaches every view taken before.
  const words = wasm.makeOutput(wordShape(x.shape), 'int32');
  narrowWords(
    wasm.typedArrayFromHeap(x) as Float32Array,
    x.shape.at(-1) ?? 1,
    bf16 ? 'bf16' : 'f16',
    wasm.typedArrayFromHeap(words) as Int32Array,
  );
  return words;
}

export const narrowHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.narrowHalf,
  backendName: 'wasm',
  kernelFunc: wasmNarrowHalf,
};

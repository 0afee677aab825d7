/**
 * Kernel `ScratchGPTRoundToPrecision` on the wasm backend (and so on blas): one JavaScript pass over
 * the heap on the values' bit patterns, where the composed op takes some twenty passes, several of them
 * slow on wasm (`where`, `gather`).
 */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { type RoundingFormatCode, roundArrayToPrecision } from '../round-to-precision-array.js';
import { wasmBackend } from './backend.js';

/** Input x (float32), attribute `format` (0: half, 1: bfloat16) → x rounded, float32. */
function wasmRoundKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32') throw new Error(`ScratchGPTRoundToPrecision: x must be float32, got ${x.dtype}`);
  const wasm = wasmBackend(backend);
  const output = wasm.makeOutput(x.shape, 'float32');
  // Views only after allocating: growing the heap detaches views taken before.
  roundArrayToPrecision(
    wasm.typedArrayFromHeap(x) as Float32Array,
    wasm.typedArrayFromHeap(output) as Float32Array,
    (attrs as unknown as { format: RoundingFormatCode }).format,
  );
  return output;
}

export const roundToPrecisionConfig: KernelPatch = {
  kernelName: fusedKernelNames.roundToPrecision,
  backendName: 'wasm',
  kernelFunc: wasmRoundKernel,
};

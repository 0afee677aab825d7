/**
 * Kernel `ScratchGPTAdamW` on the wasm backend (and so on blas): one pass of the SIMD kernel of
 * `adamw-simd.ts` over the four tensors where TF.js composes fourteen element-wise ops, each a pass of
 * its own. The kernel imports the backend's WebAssembly memory, so it reads param, grad, m and v where
 * they lie and writes into three outputs the backend allocates: no copies, no JavaScript arrays; the
 * threaded build's shared heap gets the kernel compiled for a shared import. Where no kernel runs (no
 * WebAssembly SIMD) the same steps run in JavaScript on views of the heap.
 */
import type { AdamWScalars } from '../../ops/adamw-update.js';
import { tf } from '../../tf.js';
import { type AdamWArrays, adamwInJavaScript, adamwKernelFor, float32Scalars } from '../adamw-simd.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { heapMemory, wasmBackend } from './backend.js';

/** Kernel `ScratchGPTAdamW`: inputs param, grad, m, v (float32, one shape) → new param, m, v. */
export function wasmAdamWKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const wasm = wasmBackend(backend);
  for (const [name, x] of Object.entries({ param, grad, m, v })) {
    if (x.dtype !== 'float32') throw new Error(`ScratchGPTAdamW: ${name} must be float32, got ${x.dtype}`);
    if (!tf.util.arraysEqual(x.shape, param.shape)) {
      throw new Error(`ScratchGPTAdamW: ${name} has shape [${x.shape}], param [${param.shape}]`);
    }
  }
  const n = tf.util.sizeFromShape(param.shape);
  const outputs = [0, 1, 2].map(() => wasm.makeOutput(param.shape, 'float32'));
  const scalars = float32Scalars(attrs as unknown as AdamWScalars);
  const memory = heapMemory(wasm);
  const call = memory == null ? null : adamwKernelFor(memory);
  if (call != null) {
    const at = (x: tf.TensorInfo) => wasm.getMemoryOffset(x.dataId);
    call(n, at(grad), at(param), at(m), at(v), ...outputs.map(at), ...scalars);
  } else {
    const views = [grad, param, m, v, ...outputs].map((x) => wasm.typedArrayFromHeap(x)) as AdamWArrays;
    adamwInJavaScript(n, views, scalars);
  }
  return outputs;
}

export const adamwConfig: KernelPatch = {
  kernelName: fusedKernelNames.adamw,
  backendName: 'wasm',
  kernelFunc: wasmAdamWKernel,
};

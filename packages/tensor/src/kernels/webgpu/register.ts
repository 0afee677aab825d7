/**
 * Our WebGPU kernels in TF.js's kernel registry: replacements for TF.js kernels (`BatchMatMul`) and new
 * fused kernels the ops of this package look up by name. `useWebGPUKernels('tfjs')` puts TF.js's own
 * kernels back (and removes the fused ones, so the ops compose TF.js primitives): the baseline the
 * benchmarks compare against.
 */
import { tf } from '../../tf.js';
import { fusedKernels } from './fused-kernels.js';
import { batchMatMul } from './mat-mul.js';

export type WebGPUKernelSet = 'scratchgpt' | 'tfjs';

/** Replacements: the TF.js kernel name and the wrapper given TF.js's kernel as a fallback. */
const replacements: Record<string, (original: tf.KernelFunc) => tf.KernelFunc> = {
  BatchMatMul: batchMatMul,
};

const originals = new Map<string, tf.KernelFunc>();
let active: WebGPUKernelSet = 'tfjs';

/** The kernel set in use on the WebGPU backend. */
export function webgpuKernelSet(): WebGPUKernelSet {
  return active;
}

/** Switches between our kernels and TF.js's stock ones; call after the WebGPU backend is imported. */
export function useWebGPUKernels(set: WebGPUKernelSet): void {
  if (set === active) return;
  for (const [name, wrap] of Object.entries(replacements)) {
    const current = tf.getKernel(name, 'webgpu');
    if (current == null) continue;
    if (!originals.has(name)) originals.set(name, current.kernelFunc);
    const original = originals.get(name) as tf.KernelFunc;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      kernelName: name,
      backendName: 'webgpu',
      kernelFunc: set === 'scratchgpt' ? wrap(original) : original,
    });
  }
  for (const kernel of fusedKernels) {
    if (tf.getKernel(kernel.kernelName, 'webgpu') != null) tf.unregisterKernel(kernel.kernelName, 'webgpu');
    if (set === 'scratchgpt') tf.registerKernel({ ...kernel, backendName: 'webgpu' });
  }
  active = set;
}

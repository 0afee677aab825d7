/** Kernel `ScratchGPTGelu`: GELU (tanh form) in one pass. */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { elementwiseShader, runElementwise } from './elementwise.js';

// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). WGSL's tanh overflows to NaN for large arguments on some
// drivers, so it is written through exp of a clamped argument.
export const geluCommon = `
  let v = x[i];
  let inner = 0.7978845608028654 * (v + 0.044715 * v * v * v);
  let e = exp(-2.0 * clamp(inner, -15.0, 15.0));
  let t = (1.0 - e) / (1.0 + e);`;

const geluShader = elementwiseShader(
  'scratchgpt-gelu',
  ['x'],
  ['y'],
  [],
  `${geluCommon}
  y[i] = 0.5 * v * (1.0 + t);`,
);

/** Input x → y. */
function geluKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  return runElementwise(backend, geluShader, [x], 1)[0] as tf.TensorInfo;
}

export const geluConfig: KernelPatch = {
  kernelName: fusedKernelNames.gelu,
  backendName: 'webgpu',
  kernelFunc: geluKernel,
};

/** Kernel `ScratchGPTGeluGrad`: the derivative of GELU (tanh form) times dy, in one pass. */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { elementwiseShader, runElementwise } from './elementwise.js';
import { geluCommon } from './gelu.js';

// d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
const geluGradShader = elementwiseShader(
  'scratchgpt-gelu-grad',
  ['x', 'dy'],
  ['dx'],
  [],
  `${geluCommon}
  let slope = 0.7978845608028654 * (1.0 + 0.134145 * v * v);
  dx[i] = dy[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * slope);`,
);

/** Inputs x, dy → dx. */
function geluGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  return runElementwise(backend, geluGradShader, [x, dy], 1)[0] as tf.TensorInfo;
}

export const geluGradConfig: KernelPatch = {
  kernelName: fusedKernelNames.geluGrad,
  backendName: 'webgpu',
  kernelFunc: geluGradKernel,
};

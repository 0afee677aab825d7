/** Kernel `ScratchGPTAdamW`: the AdamW update of one tensor in one pass. */
import type { AdamWScalars } from '../../ops/adamw-update.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { elementwiseShader, runElementwise } from './elementwise.js';

// The same float32 steps as the composed update, in the same order.
const adamwShader = elementwiseShader(
  'scratchgpt-adamw',
  ['param', 'grad', 'm', 'v'],
  ['newParam', 'newM', 'newV'],
  [
    'decay: f32',
    'beta1: f32',
    'keep1: f32',
    'beta2: f32',
    'keep2: f32',
    'correction2Sqrt: f32',
    'eps: f32',
    'stepSize: f32',
  ],
  `
  let g = grad[i];
  let mi = m[i] * params.beta1 + g * params.keep1;
  let vi = v[i] * params.beta2 + (g * g) * params.keep2;
  let denom = sqrt(vi) / params.correction2Sqrt + params.eps;
  newParam[i] = param[i] * params.decay - (mi / denom) * params.stepSize;
  newM[i] = mi;
  newV[i] = vi;`,
);

/** Inputs param, grad, m, v → new param, m, v. */
function adamwKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const a = attrs as unknown as AdamWScalars;
  const f32 = [a.decay, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction2Sqrt, a.eps, a.stepSize];
  return runElementwise(
    backend,
    adamwShader,
    [param, grad, m, v],
    3,
    f32.map((value) => ({ f32: value })),
  );
}

export const adamwConfig: KernelPatch = {
  kernelName: fusedKernelNames.adamw,
  backendName: 'webgpu',
  kernelFunc: adamwKernel,
};

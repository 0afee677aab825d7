/**
 * Elementwise kernels: GELU (tanh form) and its derivative, and the AdamW update — each one pass over
 * memory where TF.js's composition makes eight to twelve.
 */
import type { AdamWScalars } from '../../ops/adamw-update.js';
import type { tf } from '../../tf.js';
import {
  bindingsWGSL,
  dispatch,
  flatGrid,
  flatGroupWGSL,
  internals,
  makeOutputs,
  type Shader,
} from './dispatch.js';

const GROUP = 256;

function elementwiseShader(
  key: string,
  inputs: string[],
  outputs: string[],
  params: string[],
  body: string,
): Shader {
  return {
    key,
    code: () => `
${bindingsWGSL(inputs, outputs, ['size: u32', ...params])}
@compute @workgroup_size(${GROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = (${flatGroupWGSL}) * ${GROUP}u + lid.x;
  if (i >= params.size) { return; }
${body}
}`,
  };
}

// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). WGSL's tanh overflows to NaN for large arguments on some
// drivers, so it is written through exp of a clamped argument.
const geluCommon = `
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

type Args = Parameters<tf.KernelFunc>[0];

function size(x: tf.TensorInfo): number {
  return x.shape.reduce((a, b) => a * b, 1);
}

/** Kernel `ScratchGPTGelu`: input x. */
export function geluKernel({ inputs, backend }: Args): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const gpu = internals(backend);
  const [y] = makeOutputs(gpu, [x.shape]) as [tf.TensorInfo];
  dispatch(gpu, geluShader, {
    inputs: [x],
    outputs: [y],
    uniforms: [{ u32: size(x) }],
    workgroups: flatGrid(size(x), GROUP),
  });
  return y;
}

/** Kernel `ScratchGPTGeluGrad`: inputs x, dy. */
export function geluGradKernel({ inputs, backend }: Args): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const gpu = internals(backend);
  const [dx] = makeOutputs(gpu, [x.shape]) as [tf.TensorInfo];
  dispatch(gpu, geluGradShader, {
    inputs: [x, dy],
    outputs: [dx],
    uniforms: [{ u32: size(x) }],
    workgroups: flatGrid(size(x), GROUP),
  });
  return dx;
}

/** Kernel `ScratchGPTAdamW`: inputs param, grad, m, v → new param, m, v. */
export function adamwKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const a = attrs as unknown as AdamWScalars;
  const gpu = internals(backend);
  const outputs = makeOutputs(gpu, [param.shape, param.shape, param.shape]);
  const f32 = [a.decay, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.correction2Sqrt, a.eps, a.stepSize];
  dispatch(gpu, adamwShader, {
    inputs: [param, grad, m, v],
    outputs,
    uniforms: [{ u32: size(param) }, ...f32.map((value) => ({ f32: value }))],
    workgroups: flatGrid(size(param), GROUP),
  });
  return outputs;
}

/**
 * Elementwise kernels (GELU and its derivative, the AdamW update: `gelu.ts`, `gelu-grad.ts`,
 * `adamw.ts`), each one pass over memory where TF.js's composition makes eight to twelve. One
 * invocation per element; every output has the shape of the first input.
 */
import type { tf } from '../../tf.js';
import { bindingsWGSL, flatGrid, flatMainWGSL, runShader, type Shader, type Uniform } from './dispatch.js';

const GROUP = 256;

/**
 * A shader whose body computes element `i` of each output (`params.size` elements); `element` is the
 * WGSL type the buffers are read as (`u32` to work on float32 bit patterns); `functions` are WGSL
 * functions the body calls.
 */
export function elementwiseShader(
  key: string,
  inputs: string[],
  outputs: string[],
  params: string[],
  body: string,
  element = 'f32',
  functions = '',
): Shader {
  return {
    key,
    code: () => `
${bindingsWGSL(inputs, outputs, ['size: u32', ...params], element)}
${functions}
${flatMainWGSL(GROUP, 'i', 'size')}
${body}
}`,
  };
}

/** Runs an elementwise shader over `inputs`: `outputs` new tensors shaped as the first input. */
export function runElementwise(
  backend: unknown,
  shader: Shader,
  inputs: tf.TensorInfo[],
  outputs: number,
  params: Uniform[] = [],
): tf.TensorInfo[] {
  const { shape } = inputs[0] as tf.TensorInfo;
  const size = shape.reduce((a, b) => a * b, 1);
  return runShader(backend, shader, {
    inputs,
    outputShapes: Array.from({ length: outputs }, () => shape),
    uniforms: [{ u32: size }, ...params],
    workgroups: flatGrid(size, GROUP),
  });
}

/**
 * Kernel `ScratchGPTLayerNorm`: LayerNorm over the last axis in one pass over each row instead of
 * TF.js's seven kernels (mean, centre, square, mean, add, sqrt, divide).
 *
 *   x̂ = (x − μ)·r, r = 1/√(σ² + ε), y = x̂·scale + shift   (σ² biased, as PyTorch)
 */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { bindingsWGSL, flatGrid, runShader, type Shader } from './dispatch.js';
import { type RowLayout, rowKernelWGSL, rowLayout } from './rows.js';

export const PARAMS = ['rows: u32', 'width: u32', 'eps: f32'];

/** WGSL computing `mean` and `rstd` of row `row` of `x`. */
export const statistics = `
  let base = row * params.width;
  var sum = 0.0;
  for (var i = lane; i < params.width; i = i + LANES) { sum = sum + x[base + i]; }
  let mean = reduceSum(sum) / f32(params.width);
  var squares = 0.0;
  for (var i = lane; i < params.width; i = i + LANES) { let d = x[base + i] - mean; squares = squares + d * d; }
  let rstd = 1.0 / sqrt(reduceSum(squares) / f32(params.width) + params.eps);`;

function forwardShader(layout: RowLayout): Shader {
  return {
    key: `scratchgpt-layer-norm-${layout.key}`,
    code: () => {
      const wgsl = rowKernelWGSL(layout);
      return `${wgsl.enable}
${bindingsWGSL(['x', 'scale', 'shift'], ['y'], PARAMS)}
${wgsl.helpers}
${wgsl.header}
${statistics}
  for (var i = lane; i < params.width; i = i + LANES) {
    y[base + i] = (x[base + i] - mean) * rstd * scale[i] + shift[i];
  }
}`;
    },
  };
}

export function rowsOf(x: tf.TensorInfo): { rows: number; width: number } {
  const width = x.shape[x.shape.length - 1] as number;
  return { rows: x.shape.reduce((a, b) => a * b, 1) / width, width };
}

/** Kernel `ScratchGPTLayerNorm`: inputs x, scale, shift; attr eps. */
function layerNormKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, scale, shift } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; shift: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const { rows, width } = rowsOf(x);
  const layout = rowLayout();
  const [y] = runShader(backend, forwardShader(layout), {
    inputs: [x, scale, shift],
    outputShapes: [x.shape],
    uniforms: [{ u32: rows }, { u32: width }, { f32: eps }],
    workgroups: flatGrid(rows, layout.rowsPerGroup),
  }) as [tf.TensorInfo];
  return y;
}

export const layerNormConfig: KernelPatch = {
  kernelName: fusedKernelNames.layerNorm,
  backendName: 'webgpu',
  kernelFunc: layerNormKernel,
};

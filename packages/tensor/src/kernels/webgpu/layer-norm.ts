/**
 * LayerNorm over the last axis, forward and backward, one pass over each row instead of TF.js's
 * seven kernels (mean, centre, square, mean, add, sqrt, divide) and the saved intermediates.
 *
 *   x̂ = (x − μ)·r, r = 1/√(σ² + ε), y = x̂·scale + shift   (σ² biased, as PyTorch)
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale;  dscale = Σ_rows dy·x̂;  dshift = Σ_rows dy
 */
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
import { type RowLayout, rowKernelWGSL, rowLayout } from './rows.js';

const PARAMS = ['rows: u32', 'width: u32', 'eps: f32'];

/** WGSL computing `mean` and `rstd` of row `row` of `x`. */
const statistics = `
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

/** dx, and each row's x̂ kept for the column sums of dscale. */
function inputGradShader(layout: RowLayout): Shader {
  return {
    key: `scratchgpt-layer-norm-grad-${layout.key}`,
    code: () => {
      const wgsl = rowKernelWGSL(layout);
      return `${wgsl.enable}
${bindingsWGSL(['x', 'scale', 'dy'], ['dx', 'normalized'], PARAMS)}
${wgsl.helpers}
${wgsl.header}
${statistics}
  var sumG = 0.0;
  var sumGX = 0.0;
  for (var i = lane; i < params.width; i = i + LANES) {
    let g = dy[base + i] * scale[i];
    let xhat = (x[base + i] - mean) * rstd;
    normalized[base + i] = xhat;
    sumG = sumG + g;
    sumGX = sumGX + g * xhat;
  }
  let meanG = reduceSum(sumG) / f32(params.width);
  let meanGX = reduceSum(sumGX) / f32(params.width);
  for (var i = lane; i < params.width; i = i + LANES) {
    let g = dy[base + i] * scale[i];
    dx[base + i] = rstd * (g - meanG - normalized[base + i] * meanGX);
  }
}`;
    },
  };
}

/** dscale and dshift: one invocation per column sums it over the rows. */
const parameterGradShader: Shader = {
  key: 'scratchgpt-layer-norm-parameter-grad',
  code: () => `
${bindingsWGSL(['dy', 'normalized'], ['dscale', 'dshift'], PARAMS)}
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let column = (${flatGroupWGSL}) * 64u + lid.x;
  if (column >= params.width) { return; }
  var sumScale = 0.0;
  var sumShift = 0.0;
  for (var r = 0u; r < params.rows; r = r + 1u) {
    let g = dy[r * params.width + column];
    sumScale = sumScale + g * normalized[r * params.width + column];
    sumShift = sumShift + g;
  }
  dscale[column] = sumScale;
  dshift[column] = sumShift;
}`,
};

type Args = Parameters<tf.KernelFunc>[0];

function rowsOf(x: tf.TensorInfo): { rows: number; width: number } {
  const width = x.shape[x.shape.length - 1] as number;
  return { rows: x.shape.reduce((a, b) => a * b, 1) / width, width };
}

/** Kernel `ScratchGPTLayerNorm`: inputs x, scale, shift; attr eps. */
export function layerNormKernel({ inputs, backend, attrs }: Args): tf.TensorInfo {
  const { x, scale, shift } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; shift: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const gpu = internals(backend);
  const { rows, width } = rowsOf(x);
  const layout = rowLayout();
  const [y] = makeOutputs(gpu, [x.shape]) as [tf.TensorInfo];
  dispatch(gpu, forwardShader(layout), {
    inputs: [x, scale, shift],
    outputs: [y],
    uniforms: [{ u32: rows }, { u32: width }, { f32: eps }],
    workgroups: flatGrid(rows, layout.rowsPerGroup),
  });
  return y;
}

/** Kernel `ScratchGPTLayerNormGrad`: inputs x, scale, dy; attr eps → dx, dscale, dshift. */
export function layerNormGradKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const { x, scale, dy } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; dy: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const gpu = internals(backend);
  const { rows, width } = rowsOf(x);
  const layout = rowLayout();
  const uniforms = [{ u32: rows }, { u32: width }, { f32: eps }];
  const [dx, normalized, dscale, dshift] = makeOutputs(gpu, [x.shape, x.shape, [width], [width]]) as [
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
  ];
  dispatch(gpu, inputGradShader(layout), {
    inputs: [x, scale, dy],
    outputs: [dx, normalized],
    uniforms,
    workgroups: flatGrid(rows, layout.rowsPerGroup),
  });
  dispatch(gpu, parameterGradShader, {
    inputs: [dy, normalized],
    outputs: [dscale, dshift],
    uniforms,
    workgroups: flatGrid(width, 64),
  });
  gpu.disposeData(normalized.dataId);
  return [dx, dscale, dshift];
}

/**
 * Kernel `ScratchGPTLayerNormGrad`: LayerNorm's backward pass, one pass over each row and one over
 * each column, without the intermediates TF.js's composition saves.
 *
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale;  dscale = Σ_rows dy·x̂;  dshift = Σ_rows dy
 */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { bindingsWGSL, flatGrid, flatMainWGSL, internals, runShader, type Shader } from './dispatch.js';
import { PARAMS, rowsOf, statistics } from './layer-norm.js';
import { type RowLayout, rowKernelWGSL, rowLayout } from './rows.js';

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
${flatMainWGSL(64, 'column', 'width')}
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

/** Kernel `ScratchGPTLayerNormGrad`: inputs x, scale, dy; attr eps → dx, dscale, dshift. */
function layerNormGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, scale, dy } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; dy: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const { rows, width } = rowsOf(x);
  const layout = rowLayout();
  const uniforms = [{ u32: rows }, { u32: width }, { f32: eps }];
  const [dx, normalized] = runShader(backend, inputGradShader(layout), {
    inputs: [x, scale, dy],
    outputShapes: [x.shape, x.shape],
    uniforms,
    workgroups: flatGrid(rows, layout.rowsPerGroup),
  }) as [tf.TensorInfo, tf.TensorInfo];
  const [dscale, dshift] = runShader(backend, parameterGradShader, {
    inputs: [dy, normalized],
    outputShapes: [[width], [width]],
    uniforms,
    workgroups: flatGrid(width, 64),
  }) as [tf.TensorInfo, tf.TensorInfo];
  internals(backend).disposeData(normalized.dataId);
  return [dx, dscale, dshift];
}

export const layerNormGradConfig: KernelPatch = {
  kernelName: fusedKernelNames.layerNormGrad,
  backendName: 'webgpu',
  kernelFunc: layerNormGradKernel,
};

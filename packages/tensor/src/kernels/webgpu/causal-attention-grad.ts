/**
 * Kernel `ScratchGPTCausalAttentionGrad`: the backward pass of `causal-attention.ts`, which recomputes
 * each attention weight instead of reading it (the formulas are there).
 */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { attentionMainWGSL, GROUP, layout, maskAt, PARAMS } from './causal-attention.js';
import { bindingsWGSL, flatGrid, flatMainWGSL, internals, runShader, type Shader } from './dispatch.js';

/** Each query row's (L_i, D_i = dO_i·O_i): what both gradient kernels read. */
const statsShader: Shader = {
  key: 'scratchgpt-attention-grad-stats',
  code: () => `
${bindingsWGSL(['out', 'dOut', 'lse'], ['stats'], ['rows: u32', 'width: u32'])}
${flatMainWGSL(GROUP, 'row', 'rows')}
  var dot = 0.0;
  for (var d = 0u; d < params.width; d = d + 1u) { dot = dot + dOut[row * params.width + d] * out[row * params.width + d]; }
  stats[2u * row] = lse[row];
  stats[2u * row + 1u] = dot;
}`,
};

function queryGradShader(headDim: number, masked: boolean): Shader {
  return {
    key: `scratchgpt-attention-grad-q-${headDim}${masked ? '-dropout' : ''}`,
    code: () => `
${bindingsWGSL(masked ? ['q', 'k', 'v', 'dOut', 'stats', 'mask'] : ['q', 'k', 'v', 'dOut', 'stats'], ['dq'], PARAMS)}
const D = ${headDim}u;
${attentionMainWGSL()}
  var query: array<f32, ${headDim}>;
  var upstream: array<f32, ${headDim}>;
  var acc: array<f32, ${headDim}>;
  for (var d = 0u; d < D; d = d + 1u) {
    query[d] = q[row * D + d] * params.scale;
    upstream[d] = dOut[row * D + d];
    acc[d] = 0.0;
  }
  let rowLse = stats[2u * row];
  let dot = stats[2u * row + 1u];
  for (var j = 0u; j <= position; j = j + 1u) {
    let key = (first + j) * D;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d = d + 1u) { s = s + query[d] * k[key + d]; dp = dp + upstream[d] * v[key + d]; }
    let ds = exp(s - rowLse) * (dp * ${maskAt(masked, 'row', 'j')} - dot);
    for (var d = 0u; d < D; d = d + 1u) { acc[d] = acc[d] + ds * k[key + d]; }
  }
  for (var d = 0u; d < D; d = d + 1u) { dq[row * D + d] = acc[d] * params.scale; }
}`,
  };
}

/** dk and dv, one key row each, over the queries that see it. */
function keyGradShader(headDim: number, masked: boolean): Shader {
  return {
    key: `scratchgpt-attention-grad-kv-${headDim}${masked ? '-dropout' : ''}`,
    code: () => `
${bindingsWGSL(masked ? ['q', 'k', 'v', 'dOut', 'stats', 'mask'] : ['q', 'k', 'v', 'dOut', 'stats'], ['dk', 'dv'], PARAMS)}
const D = ${headDim}u;
${attentionMainWGSL()}
  var keyRow: array<f32, ${headDim}>;
  var valueRow: array<f32, ${headDim}>;
  var accK: array<f32, ${headDim}>;
  var accV: array<f32, ${headDim}>;
  for (var d = 0u; d < D; d = d + 1u) {
    keyRow[d] = k[row * D + d] * params.scale;
    valueRow[d] = v[row * D + d];
    accK[d] = 0.0;
    accV[d] = 0.0;
  }
  for (var i = position; i < params.tokens; i = i + 1u) {
    let query = first + i;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      s = s + q[query * D + d] * keyRow[d];
      dp = dp + dOut[query * D + d] * valueRow[d];
    }
    let p = exp(s - stats[2u * query]);
    let m = ${maskAt(masked, 'query', 'position')};
    let ds = p * (dp * m - stats[2u * query + 1u]);
    let pm = p * m;
    for (var d = 0u; d < D; d = d + 1u) {
      accK[d] = accK[d] + ds * q[query * D + d];
      accV[d] = accV[d] + pm * dOut[query * D + d];
    }
  }
  for (var d = 0u; d < D; d = d + 1u) { dk[row * D + d] = accK[d] * params.scale; dv[row * D + d] = accV[d]; }
}`,
  };
}

/**
 * Kernel `ScratchGPTCausalAttentionGrad`: inputs q, k, v, out, dOut, lse [, mask]; attr scale → dq, dk, dv.
 */
function causalAttentionGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { q, k, v, out, dOut, lse, mask } = inputs as Record<
    'q' | 'k' | 'v' | 'out' | 'dOut' | 'lse',
    tf.TensorInfo
  > & {
    mask?: tf.TensorInfo;
  };
  const { scale } = attrs as unknown as { scale: number };
  const { rows, tokens, headDim } = layout(q);
  const uniforms = [{ u32: rows }, { u32: tokens }, { f32: scale }];
  const masked = mask != null;
  const extra = mask != null ? [mask] : [];
  const workgroups = flatGrid(rows, GROUP);
  const [stats] = runShader(backend, statsShader, {
    inputs: [out, dOut, lse],
    outputShapes: [[rows, 2]],
    uniforms: [{ u32: rows }, { u32: headDim }],
    workgroups,
  }) as [tf.TensorInfo];
  const read = [q, k, v, dOut, stats, ...extra];
  const [dq] = runShader(backend, queryGradShader(headDim, masked), {
    inputs: read,
    outputShapes: [q.shape],
    uniforms,
    workgroups,
  }) as [tf.TensorInfo];
  const [dk, dv] = runShader(backend, keyGradShader(headDim, masked), {
    inputs: read,
    outputShapes: [q.shape, q.shape],
    uniforms,
    workgroups,
  }) as [tf.TensorInfo, tf.TensorInfo];
  internals(backend).disposeData(stats.dataId);
  return [dq, dk, dv];
}

export const causalAttentionGradConfig: KernelPatch = {
  kernelName: fusedKernelNames.causalAttentionGrad,
  backendName: 'webgpu',
  kernelFunc: causalAttentionGradKernel,
};

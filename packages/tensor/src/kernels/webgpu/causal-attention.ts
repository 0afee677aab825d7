/**
 * Causal self-attention without the (T × T) weights in memory: softmax(q·kᵀ·scale, causal)·v for
 * queries, keys and values (batch·heads, T, headDim), with an optional dropout mask on the weights.
 *
 * Forward: one invocation per query row keeps the row in registers and walks the keys it may see with
 * an online softmax (a running maximum rescales what was summed), writing the context and the row's
 * log-sum-exp L. Backward recomputes each weight p = exp(q·k·scale − L) instead of reading it:
 *   D_i = dO_i·O_i;  dS_ij = p_ij·(M_ij·dO_i·v_j − D_i)
 *   dq_i = scale·Σ_j dS_ij k_j        (one invocation per query row)
 *   dk_j = scale·Σ_i dS_ij q_i,  dv_j = Σ_i p_ij·M_ij·dO_i   (one invocation per key row)
 * with M the dropout mask (1 without dropout).
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

const GROUP = 64;
const PARAMS = ['rows: u32', 'tokens: u32', 'scale: f32'];

function header(): string {
  return `@compute @workgroup_size(${GROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (${flatGroupWGSL}) * ${GROUP}u + lid.x; // (batch·head)·T + position
  if (row >= params.rows) { return; }
  let position = row % params.tokens;
  let first = row - position; // row of position 0 in this batch·head`;
}

/** Mask weight M for query row `query` and key position `key`. */
function maskAt(masked: boolean, query: string, key: string): string {
  return masked ? `mask[${query} * params.tokens + ${key}]` : '1.0';
}

function forwardShader(headDim: number, masked: boolean): Shader {
  return {
    key: `scratchgpt-attention-${headDim}${masked ? '-dropout' : ''}`,
    code: () => `
${bindingsWGSL(masked ? ['q', 'k', 'v', 'mask'] : ['q', 'k', 'v'], ['out', 'lse'], PARAMS)}
const D = ${headDim}u;
${header()}
  var query: array<f32, ${headDim}>;
  var acc: array<f32, ${headDim}>;
  for (var d = 0u; d < D; d = d + 1u) { query[d] = q[row * D + d] * params.scale; acc[d] = 0.0; }
  var runningMax = -3.402823e38;
  var total = 0.0;
  for (var j = 0u; j <= position; j = j + 1u) {
    let key = (first + j) * D;
    var s = 0.0;
    for (var d = 0u; d < D; d = d + 1u) { s = s + query[d] * k[key + d]; }
    let newMax = max(runningMax, s);
    let correction = exp(runningMax - newMax);
    let p = exp(s - newMax);
    total = total * correction + p;
    let weight = p * ${maskAt(masked, 'row', 'j')};
    for (var d = 0u; d < D; d = d + 1u) { acc[d] = acc[d] * correction + weight * v[key + d]; }
    runningMax = newMax;
  }
  for (var d = 0u; d < D; d = d + 1u) { out[row * D + d] = acc[d] / total; }
  lse[row] = runningMax + log(total);
}`,
  };
}

/** Each query row's (L_i, D_i = dO_i·O_i): what both gradient kernels read. */
const statsShader: Shader = {
  key: 'scratchgpt-attention-grad-stats',
  code: () => `
${bindingsWGSL(['out', 'dOut', 'lse'], ['stats'], ['rows: u32', 'width: u32'])}
@compute @workgroup_size(${GROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (${flatGroupWGSL}) * ${GROUP}u + lid.x;
  if (row >= params.rows) { return; }
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
${header()}
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
${header()}
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

type Args = Parameters<tf.KernelFunc>[0];

function layout(q: tf.TensorInfo): { rows: number; tokens: number; headDim: number } {
  const headDim = q.shape[q.shape.length - 1] as number;
  const tokens = q.shape[q.shape.length - 2] as number;
  return { rows: q.shape.reduce((a, b) => a * b, 1) / headDim, tokens, headDim };
}

/** Kernel `ScratchGPTCausalAttention`: inputs q, k, v (…, T, hd) [, mask (…, T, T)]; attr scale → out, lse. */
export function causalAttentionKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const { q, k, v, mask } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo> & { mask?: tf.TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  const gpu = internals(backend);
  const { rows, tokens, headDim } = layout(q);
  const outputs = makeOutputs(gpu, [q.shape, q.shape.slice(0, -1)]);
  dispatch(gpu, forwardShader(headDim, mask != null), {
    inputs: mask != null ? [q, k, v, mask] : [q, k, v],
    outputs,
    uniforms: [{ u32: rows }, { u32: tokens }, { f32: scale }],
    workgroups: flatGrid(rows, GROUP),
  });
  return outputs;
}

/**
 * Kernel `ScratchGPTCausalAttentionGrad`: inputs q, k, v, out, dOut, lse [, mask]; attr scale → dq, dk, dv.
 */
export function causalAttentionGradKernel({ inputs, backend, attrs }: Args): tf.TensorInfo[] {
  const { q, k, v, out, dOut, lse, mask } = inputs as Record<
    'q' | 'k' | 'v' | 'out' | 'dOut' | 'lse',
    tf.TensorInfo
  > & {
    mask?: tf.TensorInfo;
  };
  const { scale } = attrs as unknown as { scale: number };
  const gpu = internals(backend);
  const { rows, tokens, headDim } = layout(q);
  const uniforms = [{ u32: rows }, { u32: tokens }, { f32: scale }];
  const masked = mask != null;
  const extra = mask != null ? [mask] : [];
  const [stats, dq, dk, dv] = makeOutputs(gpu, [[rows, 2], q.shape, q.shape, q.shape]) as [
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
  ];
  dispatch(gpu, statsShader, {
    inputs: [out, dOut, lse],
    outputs: [stats],
    uniforms: [{ u32: rows }, { u32: headDim }],
    workgroups: flatGrid(rows, GROUP),
  });
  const read = [q, k, v, dOut, stats, ...extra];
  const workgroups = flatGrid(rows, GROUP);
  dispatch(gpu, queryGradShader(headDim, masked), { inputs: read, outputs: [dq], uniforms, workgroups });
  dispatch(gpu, keyGradShader(headDim, masked), { inputs: read, outputs: [dk, dv], uniforms, workgroups });
  gpu.disposeData(stats.dataId);
  return [dq, dk, dv];
}

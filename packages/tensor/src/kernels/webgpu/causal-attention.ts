/**
 * Kernel `ScratchGPTCausalAttention` (its gradient: `causal-attention-grad.ts`).
 *
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
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { bindingsWGSL, flatGrid, flatMainWGSL, runShader, type Shader } from './dispatch.js';

export const GROUP = 64;
export const PARAMS = ['rows: u32', 'tokens: u32', 'scale: f32'];

/** WGSL: the entry point's opening, one invocation per query (or key) row: (batch·head)·T + position. */
export function attentionMainWGSL(): string {
  return `${flatMainWGSL(GROUP, 'row', 'rows')}
  let position = row % params.tokens;
  let first = row - position; // row of position 0 in this batch·head`;
}

/** Mask weight M for query row `query` and key position `key`. */
export function maskAt(masked: boolean, query: string, key: string): string {
  return masked ? `mask[${query} * params.tokens + ${key}]` : '1.0';
}

function forwardShader(headDim: number, masked: boolean): Shader {
  return {
    key: `scratchgpt-attention-${headDim}${masked ? '-dropout' : ''}`,
    code: () => `
${bindingsWGSL(masked ? ['q', 'k', 'v', 'mask'] : ['q', 'k', 'v'], ['out', 'lse'], PARAMS)}
const D = ${headDim}u;
${attentionMainWGSL()}
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

export function layout(q: tf.TensorInfo): { rows: number; tokens: number; headDim: number } {
  const headDim = q.shape[q.shape.length - 1] as number;
  const tokens = q.shape[q.shape.length - 2] as number;
  return { rows: q.shape.reduce((a, b) => a * b, 1) / headDim, tokens, headDim };
}

/** Kernel `ScratchGPTCausalAttention`: inputs q, k, v (…, T, hd) [, mask (…, T, T)]; attr scale → out, lse. */
function causalAttentionKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { q, k, v, mask } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo> & { mask?: tf.TensorInfo };
  const { scale } = attrs as unknown as { scale: number };
  const { rows, tokens, headDim } = layout(q);
  return runShader(backend, forwardShader(headDim, mask != null), {
    inputs: mask != null ? [q, k, v, mask] : [q, k, v],
    outputShapes: [q.shape, q.shape.slice(0, -1)],
    uniforms: [{ u32: rows }, { u32: tokens }, { f32: scale }],
    workgroups: flatGrid(rows, GROUP),
  });
}

export const causalAttentionConfig: KernelPatch = {
  kernelName: fusedKernelNames.causalAttention,
  backendName: 'webgpu',
  kernelFunc: causalAttentionKernel,
};

/**
 * Kernels on 16-bit tensors (two values to a 32-bit word, low half first; `half/rounding.ts`):
 * `ScratchGPTWidenHalf` (words → float32), `ScratchGPTNarrowHalf` (float32 → words, rounded as
 * `ScratchGPTRoundToPrecision` rounds) and `ScratchGPTMatMulHalf` for a few rows, which reads the
 * packed weight directly. Values are widened with integer operations, exactly and alike on every
 * adapter, so neither format needs `shader-f16`: bfloat16 is a float32's top half; binary16 is
 * rebiased (its exponent + 112, the fraction shifted into place), subnormals computed as
 * fraction · 2⁻²⁴ (a normal float32), so no float32 subnormal arises that a GPU might flush.
 */
import {
  type HalfAttrs,
  DIRECT_ROWS as MAX_ROWS,
  type MatMulHalfAttrs,
  productShape,
  widenedShape,
} from '../../half/half-kernel.js';
import { wordShape } from '../../half/rounding.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import {
  dispatch,
  flatGrid,
  flatMainWGSL,
  internals,
  makeOutputs,
  runShader,
  type Shader,
} from './dispatch.js';
import { roundBf16WGSL, roundF16WGSL } from './round-to-precision.js';

const GROUP = 64;

function widenWGSL(bf16: boolean): string {
  if (bf16) return 'fn widen(h: u32) -> f32 { return bitcast<f32>(h << 16u); }';
  return `fn widen(h: u32) -> f32 {
  let magnitude = h & 0x7fffu;
  let sign = (h & 0x8000u) << 16u;
  if (magnitude < 0x400u) { return bitcast<f32>(sign | bitcast<u32>(f32(magnitude) * 5.9604644775390625e-8)); }
  if (magnitude >= 0x7c00u) { return bitcast<f32>(sign | 0x7f800000u | ((magnitude & 0x3ffu) << 13u)); }
  return bitcast<f32>(sign | ((magnitude << 13u) + (112u << 23u)));
}`;
}

const format = (bf16: boolean) => (bf16 ? 'bf16' : 'f16');

/** An invocation per word of the output; with ids, output row r reads table row ids[r] (zeros past it). */
function widenShader(bf16: boolean, gather: boolean): Shader {
  return {
    key: `scratchgpt-widen-${format(bf16)}${gather ? '-gather' : ''}`,
    code: () => `
struct Params { words: u32, perRow: u32, columns: u32, tableRows: u32, }
@group(0) @binding(0) var<storage, read> words: array<u32>;
${gather ? '@group(0) @binding(1) var<storage, read> ids: array<i32>;' : ''}
@group(0) @binding(${gather ? 2 : 1}) var<storage, read_write> y: array<f32>;
@group(0) @binding(${gather ? 3 : 2}) var<uniform> params: Params;
${widenWGSL(bf16)}
${flatMainWGSL(GROUP, 'i', 'words')}
  let row = i / params.perRow;
  let column = i % params.perRow;
  var word = 0u;
  ${
    gather
      ? `let source = ids[row];
  if (source >= 0 && u32(source) < params.tableRows) { word = words[u32(source) * params.perRow + column]; }`
      : 'word = words[i];'
  }
  let c = column * 2u;
  y[row * params.columns + c] = widen(word & 0xffffu);
  if (c + 1u < params.columns) { y[row * params.columns + c + 1u] = widen(word >> 16u); }
}`,
  };
}

function webgpuWidenHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { words, ids } = inputs as { words: tf.TensorInfo; ids?: tf.TensorInfo };
  const { bf16, columns } = attrs as unknown as HalfAttrs;
  const shape = widenedShape(words, columns, ids);
  const perRow = words.shape.at(-1) ?? 1;
  const count = (shape.reduce((a, b) => a * b, 1) / Math.max(1, columns)) * perRow;
  const tableRows = words.shape.reduce((a, b) => a * b, 1) / Math.max(1, perRow);
  return runShader(backend, widenShader(bf16, ids != null), {
    inputs: ids == null ? [words] : [words, ids],
    outputShapes: [shape],
    uniforms: [{ u32: count }, { u32: perRow }, { u32: columns }, { u32: tableRows }],
    workgroups: flatGrid(count, GROUP),
  })[0] as tf.TensorInfo;
}

// The 16 bits of a float32 already rounded to the format: bfloat16 is its top half (a NaN keeps its
// quiet bit there); a half is rebiased, and below 2⁻¹⁴ its whole multiple of 2⁻²⁴ is read off exactly
// (the product of a normal float32 and a power of two).
function narrowWGSL(bf16: boolean): string {
  if (bf16) {
    return `${roundBf16WGSL}
fn narrow(u: u32) -> u32 {
  if ((u & 0x7fffffffu) > 0x7f800000u) { return (u >> 16u) | 0x40u; }
  return roundBf16(u) >> 16u;
}`;
  }
  return `${roundF16WGSL}
fn narrow(u: u32) -> u32 {
  let r = roundF16(u);
  let sign = (r >> 16u) & 0x8000u;
  let magnitude = r & 0x7fffffffu;
  if (magnitude > 0x7f800000u) { return sign | 0x7e00u; }
  if (magnitude == 0x7f800000u) { return sign | 0x7c00u; }
  if (magnitude >= 0x38800000u) { return sign | ((magnitude >> 13u) - 0x1c000u); }
  return sign | u32(bitcast<f32>(magnitude) * 16777216.0);
}`;
}

/** An invocation per output word: two neighbouring values of a row, narrowed and packed. */
function narrowShader(bf16: boolean): Shader {
  return {
    key: `scratchgpt-narrow-${format(bf16)}`,
    code: () => `
struct Params { words: u32, perRow: u32, columns: u32, }
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;
${narrowWGSL(bf16)}
${flatMainWGSL(GROUP, 'i', 'words')}
  let row = i / params.perRow;
  let c = (i % params.perRow) * 2u;
  let at = row * params.columns + c;
  var word = narrow(x[at]);
  if (c + 1u < params.columns) { word = word | (narrow(x[at + 1u]) << 16u); }
  y[i] = word;
}`,
  };
}

function webgpuNarrowHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { bf16 } = attrs as unknown as { bf16: boolean };
  const shape = wordShape(x.shape);
  const count = shape.reduce((a, b) => a * b, 1);
  const gpu = internals(backend);
  const [words] = makeOutputs(gpu, [shape], 'int32') as [tf.TensorInfo];
  if (count === 0) return words;
  dispatch(gpu, narrowShader(bf16), {
    inputs: [x],
    outputs: [words],
    uniforms: [{ u32: count }, { u32: shape.at(-1) ?? 1 }, { u32: x.shape.at(-1) ?? 1 }],
    workgroups: flatGrid(count, GROUP),
  });
  return words;
}

const productBindings = `
struct Params { n: u32, k: u32, m: u32, perRow: u32, }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;`;

/**
 * x (N, K) · Wᵀ, W (M, K): a workgroup per output column m; its lanes stride along W's row m (one word,
 * two values, at a time), each keeping a sum per row of x, then add their sums in workgroup memory.
 */
function transposedProductShader(bf16: boolean): Shader {
  return {
    key: `scratchgpt-matmul-half-t-${format(bf16)}`,
    code: () => `${productBindings}
${widenWGSL(bf16)}
var<workgroup> partial: array<f32, ${GROUP * MAX_ROWS}>;
@compute @workgroup_size(${GROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = wid.y * nwg.x + wid.x;
  let lane = lid.x;
  var sums: array<f32, ${MAX_ROWS}>;
  if (m < params.m) {
    for (var j = lane; j < params.perRow; j += ${GROUP}u) {
      let word = words[m * params.perRow + j];
      let k = 2u * j;
      let w0 = widen(word & 0xffffu);
      let w1 = widen(word >> 16u);
      for (var r = 0u; r < params.n; r++) {
        let row = r * params.k + k;
        var x1 = 0.0;
        if (k + 1u < params.k) { x1 = x[row + 1u]; }
        sums[r] += w0 * x[row] + w1 * x1;
      }
    }
  }
  for (var r = 0u; r < params.n; r++) { partial[r * ${GROUP}u + lane] = sums[r]; }
  workgroupBarrier();
  for (var stride = ${GROUP / 2}u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      for (var r = 0u; r < params.n; r++) { partial[r * ${GROUP}u + lane] += partial[r * ${GROUP}u + lane + stride]; }
    }
    workgroupBarrier();
  }
  if (m < params.m && lane < params.n) { y[lane * params.m + m] = partial[lane * ${GROUP}u]; }
}`,
  };
}

/**
 * x (N, K) · W, W (K, M): an invocation per word of a row (two output columns), walking down the K
 * rows; neighbouring invocations read neighbouring words.
 */
function plainProductShader(bf16: boolean): Shader {
  return {
    key: `scratchgpt-matmul-half-n-${format(bf16)}`,
    code: () => `${productBindings}
${widenWGSL(bf16)}
${flatMainWGSL(GROUP, 'j', 'perRow')}
  var first: array<f32, ${MAX_ROWS}>;
  var second: array<f32, ${MAX_ROWS}>;
  for (var k = 0u; k < params.k; k++) {
    let word = words[k * params.perRow + j];
    let w0 = widen(word & 0xffffu);
    let w1 = widen(word >> 16u);
    for (var r = 0u; r < params.n; r++) {
      let xv = x[r * params.k + k];
      first[r] += xv * w0;
      second[r] += xv * w1;
    }
  }
  let c = 2u * j;
  for (var r = 0u; r < params.n; r++) {
    y[r * params.m + c] = first[r];
    if (c + 1u < params.m) { y[r * params.m + c + 1u] = second[r]; }
  }
}`,
  };
}

function webgpuMatMulHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, words } = inputs as { x: tf.TensorInfo; words: tf.TensorInfo };
  const productAttrs = attrs as unknown as MatMulHalfAttrs;
  const { n, k, m } = productShape(x, words, productAttrs);
  if (n > MAX_ROWS)
    throw new Error(`ScratchGPTMatMulHalf on webgpu takes at most ${MAX_ROWS} rows, got ${n}`);
  const perRow = words.shape[1] as number;
  const { bf16, transposeB } = productAttrs;
  return runShader(backend, transposeB ? transposedProductShader(bf16) : plainProductShader(bf16), {
    inputs: [x, words],
    outputShapes: [[n, m]],
    uniforms: [{ u32: n }, { u32: k }, { u32: m }, { u32: perRow }],
    workgroups: transposeB ? flatGrid(m, 1) : flatGrid(perRow, GROUP),
  })[0] as tf.TensorInfo;
}

export const widenHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.widenHalf,
  backendName: 'webgpu',
  kernelFunc: webgpuWidenHalf,
};

export const narrowHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.narrowHalf,
  backendName: 'webgpu',
  kernelFunc: webgpuNarrowHalf,
};

export const matMulHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.matMulHalf,
  backendName: 'webgpu',
  kernelFunc: webgpuMatMulHalf,
};

/**
 * A tiled matrix product for the shapes a GPT trains with, replacing TF.js's `BatchMatMul` on WebGPU.
 *
 * C = op(A)·op(B) for A (…, M, K) or (…, K, M) and B (…, K, N) or (…, N, K): a transposed operand is
 * read in place through its strides, never copied. Each workgroup computes a 64 × 64 tile of C from
 * 64 × 16 slices of A and B staged in workgroup memory, each invocation a 4 × 4 block held in
 * registers. Gradients of a product are products with one operand transposed, so the backward pass
 * gets the same kernel.
 *
 * A GPT's output head has few rows and a huge inner axis in its backward pass (d hidden = d logits · W:
 * K = 50257): there the output is a handful of tiles, too few to occupy a GPU, so the inner axis is
 * split across workgroups and the partial products summed by a second dispatch.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { bindingsWGSL, flatGrid, flatMainWGSL, internals, runShader, type Shader } from './dispatch.js';
import { precision } from './features.js';

const TILE = 64;
const LINE = '\n    ';
const TILE_K = 16;

function productShader(transposeA: boolean, transposeB: boolean, f16: boolean): Shader {
  return {
    key: `scratchgpt-matmul-${transposeA ? 't' : 'n'}${transposeB ? 't' : 'n'}${f16 ? '-f16' : ''}`,
    code: () => {
      // With shader-f16 the staged tiles hold halves (half the workgroup memory and traffic); products
      // are summed in f32 either way.
      const stage = f16 ? 'f16' : 'f32';
      const aIndex = transposeA ? 'kk * params.m + row' : 'row * params.k + kk';
      const bIndex = transposeB ? 'col * params.k + kk' : 'kk * params.n + col';
      // Which element of the 1024 of a tile invocation t loads on its i-th turn: along memory order.
      const aSlot = transposeA ? 'let r = e % 64u; let kq = e / 64u;' : 'let r = e / 16u; let kq = e % 16u;';
      const bSlot = transposeB ? 'let c = e / 16u; let kq = e % 16u;' : 'let c = e % 64u; let kq = e / 64u;';
      return `
${f16 ? 'enable f16;' : ''}
${bindingsWGSL(['a', 'b'], ['c'], ['m: u32', 'n: u32', 'k: u32', 'batchA: u32', 'batchB: u32', 'kChunk: u32', 'splits: u32'])}
var<workgroup> tileA: array<vec4<${stage}>, ${(TILE * TILE_K) / 4}>; // [k][m / 4]
var<workgroup> tileB: array<vec4<${stage}>, ${(TILE * TILE_K) / 4}>; // [k][n / 4]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let batch = wid.z / params.splits;
  let split = wid.z % params.splits;
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let offsetA = batch * params.batchA;
  let offsetB = batch * params.batchB;
  let kStart = split * params.kChunk;
  let kEnd = min(params.k, kStart + params.kChunk);
  let t = lid.y * 16u + lid.x;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = kStart; k0 < kEnd; k0 = k0 + ${TILE_K}u) {
    for (var i = 0u; i < 4u; i = i + 1u) {
      let e = t + i * 256u;
      ${aSlot}
      let row = row0 + r;
      let kk = k0 + kq;
      var va = 0.0;
      if (row < params.m && kk < kEnd) { va = a[offsetA + ${aIndex}]; }
      tileA[kq * 16u + r / 4u][r % 4u] = ${stage}(va);
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
      let e = t + i * 256u;
      ${bSlot}
      let col = col0 + c;
      let kk = k0 + kq;
      var vb = 0.0;
      if (col < params.n && kk < kEnd) { vb = b[offsetB + ${bIndex}]; }
      tileB[kq * 16u + c / 4u][c % 4u] = ${stage}(vb);
    }
    workgroupBarrier();
    for (var kq = 0u; kq < ${TILE_K}u; kq = kq + 1u) {
      let av = vec4<f32>(tileA[kq * 16u + lid.y]);
      let bv = vec4<f32>(tileB[kq * 16u + lid.x]);
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  let out = wid.z * params.m * params.n;
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = row0 + lid.y * 4u + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = col0 + lid.x * 4u + j;
      if (col < params.n) { c[out + row * params.n + col] = acc[i][j]; }
    }
  }
}`;
    },
  };
}

/** Rows and columns of C each invocation of the direct kernel computes. */
const R = 8;
const C = 8;

/**
 * The product for adapters that emulate a GPU on the CPU (llvmpipe, SwiftShader): there workgroup
 * memory is ordinary memory behind a barrier that suspends and resumes every invocation, so staging
 * tiles only costs; the CPU's caches already keep the operands close. Each invocation reads its
 * operands directly and computes an 8 × 8 block (a workgroup, 128 × 128): three times TF.js's speed
 * on llvmpipe for the output head's products.
 */
function directShader(transposeA: boolean, transposeB: boolean): Shader {
  return {
    key: `scratchgpt-matmul-direct-${transposeA ? 't' : 'n'}${transposeB ? 't' : 'n'}`,
    code: () => {
      const aAt = (r: string) =>
        transposeA ? `a[offsetA + kk * params.m + ${r}]` : `a[offsetA + ${r} * params.k + kk]`;
      const bAt = (c: string) =>
        transposeB ? `b[offsetB + ${c} * params.k + kk]` : `b[offsetB + kk * params.n + ${c}]`;
      const rows = [...Array(R).keys()];
      const quads = [...Array(C / 4).keys()];
      return `
${bindingsWGSL(['a', 'b'], ['c'], ['m: u32', 'n: u32', 'k: u32', 'batchA: u32', 'batchB: u32', 'kChunk: u32', 'splits: u32'])}
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let batch = wid.z / params.splits;
  let split = wid.z % params.splits;
  let offsetA = batch * params.batchA;
  let offsetB = batch * params.batchB;
  let kStart = split * params.kChunk;
  let kEnd = min(params.k, kStart + params.kChunk);
  let rowBase = wid.y * ${16 * R}u + lid.y * ${R}u;
  let colBase = wid.x * ${16 * C}u + lid.x * ${C}u;
  ${rows.map((i) => `let r${i} = min(rowBase + ${i}u, params.m - 1u);`).join(' ')}
  ${[...Array(C).keys()].map((j) => `let c${j} = min(colBase + ${j}u, params.n - 1u);`).join(' ')}
  var acc: array<vec4<f32>, ${R * (C / 4)}>;
  for (var kk = kStart; kk < kEnd; kk = kk + 1u) {
    ${quads.map((q) => `let b${q} = vec4<f32>(${[0, 1, 2, 3].map((j) => bAt(`c${q * 4 + j}`)).join(', ')});`).join(LINE)}
    ${rows.map((i) => `let a${i} = vec4<f32>(${aAt(`r${i}`)});${LINE}${quads.map((q) => `acc[${i * (C / 4) + q}] = fma(a${i}, b${q}, acc[${i * (C / 4) + q}]);`).join(' ')}`).join(LINE)}
  }
  let out = wid.z * params.m * params.n;
  for (var i = 0u; i < ${R}u; i = i + 1u) {
    let row = rowBase + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < ${C}u; j = j + 1u) {
      let col = colBase + j;
      if (col < params.n) { c[out + row * params.n + col] = acc[i * ${C / 4}u + j / 4u][j % 4u]; }
    }
  }
}`;
    },
  };
}

/** Sums `splits` partial products laid one after another. */
const sumSplitsShader: Shader = {
  key: 'scratchgpt-matmul-sum-splits',
  code: () => `
${bindingsWGSL(['parts'], ['c'], ['size: u32', 'splits: u32'])}
${flatMainWGSL(256, 'i', 'size')}
  var total = 0.0;
  for (var s = 0u; s < params.splits; s = s + 1u) { total = total + parts[s * params.size + i]; }
  c[i] = total;
}`,
};

/** Enough workgroups to keep a large GPU busy; fewer are worth splitting the inner axis for. */
const BUSY_WORKGROUPS = 128;
const MIN_SPLIT_K = 512;

function chooseSplits(tiles: number, k: number): number {
  if (tiles >= BUSY_WORKGROUPS || k < 2 * MIN_SPLIT_K) return 1;
  return Math.max(1, Math.min(Math.ceil(BUSY_WORKGROUPS / tiles), Math.floor(k / MIN_SPLIT_K)));
}

export interface ProductShapes {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** Elements between consecutive matrices of A and B; 0 broadcasts one matrix to every batch. */
  batchA: number;
  batchB: number;
}

/** Records op(a)·op(b) into a new (batch·M, N)-sized output and returns it. */
export function recordProduct(
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  shapes: ProductShapes,
  outShape: number[],
): tf.TensorInfo {
  const { batch, m, n, k } = shapes;
  const { f16, software } = precision();
  const [tileRows, tileCols] = software ? [16 * R, 16 * C] : [TILE, TILE];
  const shader = software ? directShader(transposeA, transposeB) : productShader(transposeA, transposeB, f16);
  const tiles = Math.ceil(m / tileRows) * Math.ceil(n / tileCols) * batch;
  const splits = chooseSplits(tiles, k);
  const kChunk = Math.ceil(k / splits / TILE_K) * TILE_K;
  const uniforms = [m, n, k, shapes.batchA, shapes.batchB, kChunk, splits].map((u32) => ({ u32 }));
  const workgroups = [Math.ceil(n / tileCols), Math.ceil(m / tileRows), batch * splits] as const;
  if (splits === 1) {
    const [out] = runShader(backend, shader, {
      inputs: [a, b],
      outputShapes: [outShape],
      uniforms,
      workgroups,
    });
    return out as tf.TensorInfo;
  }
  const size = batch * m * n;
  const [parts] = runShader(backend, shader, {
    inputs: [a, b],
    outputShapes: [[splits, size]],
    uniforms,
    workgroups,
  }) as [tf.TensorInfo];
  const [out] = runShader(backend, sumSplitsShader, {
    inputs: [parts],
    outputShapes: [outShape],
    uniforms: [{ u32: size }, { u32: splits }],
    workgroups: flatGrid(size, 256),
  }) as [tf.TensorInfo];
  internals(backend).disposeData(parts.dataId);
  return out;
}

/** The batch layout of a product, or null where batches broadcast in a way this kernel does not take. */
export function productShapes(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): { shapes: ProductShapes; outShape: number[] } | null {
  const m = aShape[aShape.length - (transposeA ? 1 : 2)] as number;
  const k = aShape[aShape.length - (transposeA ? 2 : 1)] as number;
  const n = bShape[bShape.length - (transposeB ? 2 : 1)] as number;
  if (k !== bShape[bShape.length - (transposeB ? 1 : 2)]) return null;
  const batchShapeA = aShape.slice(0, -2);
  const batchShapeB = bShape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(batchShapeA);
  const batchB = tf.util.sizeFromShape(batchShapeB);
  const sameBatch =
    batchShapeA.length === batchShapeB.length && batchShapeA.every((s, i) => s === batchShapeB[i]);
  let batchShape: readonly number[];
  if (sameBatch) batchShape = batchShapeA;
  else if (batchB === 1) batchShape = batchShapeA;
  else if (batchA === 1) batchShape = batchShapeB;
  else return null;
  const batch = tf.util.sizeFromShape([...batchShape]);
  return {
    shapes: {
      batch,
      m,
      n,
      k,
      batchA: batchA === 1 && batch > 1 ? 0 : m * k,
      batchB: batchB === 1 && batch > 1 ? 0 : k * n,
    },
    outShape: [...batchShape, m, n],
  };
}

/** `BatchMatMul` for float32 operands; anything else goes to the kernel it replaces. */
function batchMatMul(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const layout = productShapes(a.shape, b.shape, transposeA, transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || layout == null) return fallback(args);
    if (layout.shapes.m * layout.shapes.n * layout.shapes.batch === 0 || layout.shapes.k === 0) {
      return fallback(args);
    }
    return recordProduct(args.backend, a, b, transposeA, transposeB, layout.shapes, layout.outShape);
  };
}

export const batchMatMulConfig: KernelPatch = {
  kernelName: tf.BatchMatMul,
  backendName: 'webgpu',
  wrap: batchMatMul,
};

/**
 * Row kernels (LayerNorm, softmax + cross-entropy): each row of a (rows, width) tensor is reduced and
 * rewritten. On a GPU a workgroup of 64 invocations shares each row and reduces through workgroup
 * memory (or subgroup operations); on a software adapter one invocation takes a whole row, because
 * there a barrier costs more than the row. The shader text is the same but for these helpers.
 */
import { flatGroupWGSL } from './dispatch.js';
import { precision } from './features.js';

export const ROW_WORKGROUP = 64;

export interface RowLayout {
  /** Invocations per row: 64 or 1. */
  lanes: number;
  /** Rows per workgroup: 1 or 64. */
  rowsPerGroup: number;
  subgroups: boolean;
  key: string;
}

export function rowLayout(): RowLayout {
  const { software, subgroups } = precision();
  if (software) return { lanes: 1, rowsPerGroup: ROW_WORKGROUP, subgroups: false, key: 'row-per-invocation' };
  return {
    lanes: ROW_WORKGROUP,
    rowsPerGroup: 1,
    subgroups,
    key: subgroups ? 'row-subgroups' : 'row-workgroup',
  };
}

/**
 * WGSL: `enable` lines, the reductions `reduceSum(v)` / `reduceMax(v)` over a row's lanes, and the entry
 * point's header, which defines `row` and `lane` and returns for rows past `params.rows`. The body
 * strides over the row with `for (var i = lane; i < width; i += LANES)`.
 */
export function rowKernelWGSL(layout: RowLayout): { enable: string; helpers: string; header: string } {
  const { lanes, subgroups } = layout;
  const builtins = `@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>${subgroups ? ', @builtin(subgroup_size) sgSize: u32, @builtin(subgroup_invocation_id) sgLane: u32' : ''}`;
  if (lanes === 1) {
    return {
      enable: '',
      helpers: `const LANES = 1u;
fn reduceSum(v: f32) -> f32 { return v; }
fn reduceMax(v: f32) -> f32 { return v; }`,
      header: `@compute @workgroup_size(${ROW_WORKGROUP})
fn main(${builtins}) {
  let row = (${flatGroupWGSL}) * ${ROW_WORKGROUP}u + lid.x;
  let lane = 0u;
  if (row >= params.rows) { return; }`,
    };
  }
  const combine = (name: string, op: (a: string, b: string) => string, sub: string) => {
    if (subgroups) {
      // Each subgroup reduces in registers; its first lane leaves the result for the others.
      return `fn ${name}(v: f32) -> f32 {
  let partial = ${sub}(v);
  if (subgroupLane == 0u) { partials[localLane / subgroupWidth] = partial; }
  workgroupBarrier();
  var total = partials[0];
  for (var i = 1u; i < LANES / subgroupWidth; i = i + 1u) { total = ${op('total', 'partials[i]')}; }
  workgroupBarrier();
  return total;
}`;
    }
    return `fn ${name}(v: f32) -> f32 {
  partials[localLane] = v;
  workgroupBarrier();
  for (var step = LANES / 2u; step > 0u; step = step / 2u) {
    if (localLane < step) { partials[localLane] = ${op('partials[localLane]', 'partials[localLane + step]')}; }
    workgroupBarrier();
  }
  let total = partials[0];
  workgroupBarrier();
  return total;
}`;
  };
  return {
    enable: subgroups ? 'enable subgroups;' : '',
    helpers: `const LANES = ${lanes}u;
var<workgroup> partials: array<f32, ${lanes}>;
var<private> localLane: u32;
var<private> subgroupLane: u32;
var<private> subgroupWidth: u32;
${combine('reduceSum', (a, b) => `${a} + ${b}`, 'subgroupAdd')}
${combine('reduceMax', (a, b) => `max(${a}, ${b})`, 'subgroupMax')}`,
    header: `@compute @workgroup_size(${ROW_WORKGROUP})
fn main(${builtins}) {
  let row = ${flatGroupWGSL};
  let lane = lid.x;
  localLane = lid.x;
  ${subgroups ? 'subgroupLane = sgLane; subgroupWidth = sgSize;' : ''}
  if (row >= params.rows) { return; }`,
  };
}

/**
 * Kernel `ScratchGPTSoftmaxCrossEntropy`: cross-entropy of each row of logits against its target, and
 * the gradient of their sum, in one kernel: a pass for the row's maximum, one for Σ exp, one that
 * writes d logits = kept·(softmax − onehot).
 * TF.js's composition takes a dozen kernels and three (rows, vocabulary) temporaries.
 *
 * A row is kept when its target is in [0, width) and is not `ignoreIndex`; a dropped row has loss 0
 * and gradient 0.
 */
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { bindingsWGSL, flatGrid, runShader, type Shader } from './dispatch.js';
import { type RowLayout, rowKernelWGSL, rowLayout } from './rows.js';

/** Terms a lane sums before adding them to its total (see the shader). */
const SUM_BLOCK = 1024;

function shader(layout: RowLayout, withGradient: boolean): Shader {
  return {
    key: `scratchgpt-softmax-cross-entropy-${withGradient ? 'grad-' : ''}${layout.key}`,
    code: () => {
      const wgsl = rowKernelWGSL(layout);
      return `${wgsl.enable}
${bindingsWGSL(['logits', 'targetIds'], withGradient ? ['loss', 'dLogits'] : ['loss'], ['rows: u32', 'width: u32', 'ignoreIndex: i32'])}
${wgsl.helpers}
${wgsl.header}
  let base = row * params.width;
  let goal = targetIds[row];
  let kept = goal != params.ignoreIndex && goal >= 0 && u32(goal) < params.width;
  var highest = -3.402823e38;
  for (var i = lane; i < params.width; i = i + LANES) { highest = max(highest, logits[base + i]); }
  let rowMax = reduceMax(highest);
  // Σ exp in blocks of ${SUM_BLOCK} terms a lane, then over the blocks: one running sum over a vocabulary
  // rounds each small term against a large total, and its error grows with the row (percents at 2^20).
  var sum = 0.0;
  for (var start = lane; start < params.width; start = start + ${SUM_BLOCK}u * LANES) {
    let end = min(start + ${SUM_BLOCK}u * LANES, params.width);
    var block = 0.0;
    for (var i = start; i < end; i = i + LANES) { block = block + exp(logits[base + i] - rowMax); }
    sum = sum + block;
  }
  let total = reduceSum(sum);
  if (lane == 0u) {
    loss[row] = select(0.0, log(total) + rowMax - logits[base + u32(max(goal, 0))], kept);
  }
  ${
    withGradient
      ? `let weight = select(0.0, 1.0 / total, kept);
  for (var i = lane; i < params.width; i = i + LANES) {
    var g = exp(logits[base + i] - rowMax) * weight;
    if (kept && i32(i) == goal) { g = g - 1.0; }
    dLogits[base + i] = g;
  }`
      : ''
  }
}`;
    },
  };
}

/**
 * Inputs logits (rows, width) float32 and targets (rows) int32; attrs ignoreIndex, withGradient → row
 * losses (rows) and, with the gradient, d logits (rows, width).
 */
function softmaxCrossEntropyKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  const { ignoreIndex, withGradient } = attrs as unknown as { ignoreIndex: number; withGradient: boolean };
  const [rows, width] = logits.shape as [number, number];
  const layout = rowLayout();
  return runShader(backend, shader(layout, withGradient), {
    inputs: [logits, targets],
    outputShapes: withGradient ? [[rows], [rows, width]] : [[rows]],
    uniforms: [{ u32: rows }, { u32: width }, { u32: ignoreIndex >>> 0 }],
    workgroups: flatGrid(rows, layout.rowsPerGroup),
  });
}

export const softmaxCrossEntropyConfig: KernelPatch = {
  kernelName: fusedKernelNames.softmaxCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: softmaxCrossEntropyKernel,
};

/**
 * Kernel `ScratchGPTSoftmaxCrossEntropy` on the wasm backend (and so on blas): row losses and d logits
 * from one softmax, where the composed op makes five more passes over the (rows, vocabulary) logits
 * (two row maxima, a product, a scatter, a difference) and allocates three more tensors that size.
 *
 * The softmax is TF.js's own kernel (XNNPACK's vector code). Its output becomes d logits in place:
 * softmax − onehot(target) for kept rows, zeros for the rest, so only one probability per row changes.
 * A row's loss is −log p[target]; where that probability is too small for float32 to hold it well
 * (a target far below the row's best logit), it is computed as max − log(max p) − logit[target], which
 * never underflows since the largest probability is at least 1 / width.
 */
import { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

/** Below this, −log p loses precision (float32 subnormals start near 1.2e-38). */
const SMALLEST_TRUSTED_PROBABILITY = 1e-30;

/**
 * Inputs logits (rows, width) float32 and targets (rows) int32; attrs ignoreIndex, withGradient →
 * row losses (rows) and, with the gradient, d logits (rows, width). A row counts when its target lies
 * in [0, width) and is not ignoreIndex; the rest have loss 0 and zero gradients.
 */
function wasmSoftmaxCrossEntropyKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  const { ignoreIndex, withGradient } = attrs as unknown as { ignoreIndex: number; withGradient: boolean };
  const wasm = wasmBackend(backend);
  if (logits.shape.length !== 2 || logits.dtype !== 'float32') {
    throw new Error(
      `ScratchGPTSoftmaxCrossEntropy: logits must be float32 (rows, width), got ${logits.dtype} [${logits.shape}]`,
    );
  }
  const [rows, width] = logits.shape as [number, number];
  if (targets.dtype !== 'int32' || targets.shape.length !== 1 || targets.shape[0] !== rows) {
    throw new Error(
      `ScratchGPTSoftmaxCrossEntropy: targets must be int32 (${rows}), got ${targets.dtype} [${targets.shape}]`,
    );
  }
  const softmax = tf.getKernel('Softmax', 'wasm')!.kernelFunc;
  const probabilities = softmax({ inputs: { logits }, backend, attrs: { dim: 1 } }) as tf.TensorInfo;
  const losses = wasm.makeOutput([rows], 'float32');
  // Views after the last allocation: growing the heap detaches earlier ones.
  const p = wasm.typedArrayFromHeap(probabilities) as Float32Array;
  const x = wasm.typedArrayFromHeap(logits) as Float32Array;
  const ids = wasm.typedArrayFromHeap(targets) as Int32Array;
  const out = wasm.typedArrayFromHeap(losses) as Float32Array;
  for (let row = 0; row < rows; row++) {
    const target = ids[row] as number;
    const start = row * width;
    if (target === ignoreIndex || target < 0 || target >= width) {
      out[row] = 0;
      if (withGradient) p.fill(0, start, start + width);
      continue;
    }
    const chosen = p[start + target] as number;
    out[row] =
      chosen >= SMALLEST_TRUSTED_PROBABILITY
        ? -Math.log(chosen)
        : lossFromRowMaxima(x, p, start, width, x[start + target] as number);
    p[start + target] = chosen - 1;
  }
  if (withGradient) return [losses, probabilities];
  wasm.disposeData(probabilities.dataId);
  return [losses];
}

/** logsumexp − logit[target], as max − log(max p) − logit[target]. */
function lossFromRowMaxima(
  x: Float32Array,
  p: Float32Array,
  start: number,
  width: number,
  picked: number,
): number {
  let highest = Number.NEGATIVE_INFINITY;
  let likeliest = 0;
  for (let i = start; i < start + width; i++) {
    highest = Math.max(highest, x[i] as number);
    likeliest = Math.max(likeliest, p[i] as number);
  }
  return highest - Math.log(likeliest) - picked;
}

export const softmaxCrossEntropyConfig: KernelPatch = {
  kernelName: fusedKernelNames.softmaxCrossEntropy,
  backendName: 'wasm',
  kernelFunc: wasmSoftmaxCrossEntropyKernel,
};

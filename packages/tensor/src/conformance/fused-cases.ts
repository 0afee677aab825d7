/**
 * Conformance cases for the fused ops (WebGPU kernels where registered, TF.js primitives elsewhere) and
 * for products on the shapes that pick the matrix kernel's special paths.
 */
import { adamwUpdate } from '../ops/adamw-update.js';
import { causalAttention } from '../ops/causal-attention.js';
import { gelu } from '../ops/gelu.js';
import { layerNorm } from '../ops/layer-norm.js';
import { IGNORE_INDEX, softmaxCrossEntropy } from '../ops/softmax-cross-entropy.js';
import type { Generator } from '../random.js';
import { tf } from '../tf.js';
import { type CaseInput, type ConformanceCase, float, normal } from './case.js';

const uniform = (generator: Generator, shape: number[], low: number, high: number): CaseInput => ({
  ...float(generator, shape, low, high),
  differentiable: false,
});

/** Dropout's mask: 0 or 1/(1 − p), a constant. */
const dropoutMask = (generator: Generator, shape: number[], p: number): CaseInput => ({
  shape,
  dtype: 'float32',
  values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
    generator.random() < p ? 0 : 1 / (1 - p),
  ),
  differentiable: false,
});

const targets = (generator: Generator, rows: number, width: number, ignoreIndex: number): CaseInput => ({
  shape: [rows],
  dtype: 'int32',
  // Mostly real targets, some ignored, one out of range (dropped like an ignored one).
  values: Int32Array.from({ length: rows }, (_, i) =>
    i % 7 === 3 ? ignoreIndex : i === rows - 1 ? width + 5 : generator.randint(0, width),
  ),
  differentiable: false,
});

/** softmaxCrossEntropy's loss and d logits, flat in one tensor. */
const lossAndDLogits = (logits: tf.Tensor, ids: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const { loss, dLogits } = softmaxCrossEntropy(logits, ids, { gradient: true });
    return tf.concat([tf.reshape(loss, [1]), tf.reshape(dLogits as tf.Tensor, [-1])]);
  });

export const fusedCases: ConformanceCase[] = [
  { name: 'gelu op', inputs: (g) => [normal(g, [6, 200], 3)], op: (x) => gelu(x!) },
  {
    name: 'layerNorm op',
    inputs: (g) => [normal(g, [3, 5, 96], 2), normal(g, [96]), normal(g, [96])],
    op: (x, scale, shift) => layerNorm(x!, scale!, shift!),
  },
  {
    name: 'causalAttention',
    inputs: (g) => [normal(g, [2, 3, 20, 16]), normal(g, [2, 3, 20, 16]), normal(g, [2, 3, 20, 16])],
    op: (q, k, v) => causalAttention(q!, k!, v!, { scale: 0.25 }),
  },
  {
    name: 'causalAttention with a dropout mask',
    inputs: (g) => [
      normal(g, [2, 2, 24, 8]),
      normal(g, [2, 2, 24, 8]),
      normal(g, [2, 2, 24, 8]),
      dropoutMask(g, [2, 2, 24, 24], 0.2),
    ],
    op: (q, k, v, mask) => causalAttention(q!, k!, v!, { scale: 1 / Math.sqrt(8), dropoutMask: mask! }),
  },
  {
    name: 'softmaxCrossEntropy (loss, d logits)',
    inputs: (g) => [normal(g, [40, 300], 3), targets(g, 40, 300, IGNORE_INDEX)],
    op: (logits, ids) => lossAndDLogits(logits!, ids!),
    gradients: false,
  },
  {
    // Logits spread wide (σ 40): many targets lie so far below their row's best logit that their
    // probability underflows float32, so a loss read from it would be infinite.
    name: 'softmaxCrossEntropy with far-apart logits',
    inputs: (g) => [normal(g, [12, 50], 40), targets(g, 12, 50, IGNORE_INDEX)],
    op: (logits, ids) => lossAndDLogits(logits!, ids!),
    gradients: false,
  },
  {
    name: 'adamwUpdate (param, m, v)',
    // 301 values: whole vectors of four and a remainder, where a kernel works four at a time.
    inputs: (g) => [
      normal(g, [7, 43]),
      normal(g, [7, 43]),
      normal(g, [7, 43], 0.1),
      uniform(g, [7, 43], 0, 0.01),
    ],
    op: (param, grad, m, v) =>
      tf.tidy(() => {
        const next = adamwUpdate(param!, grad!, m!, v!, {
          decay: 1 - 1e-3 * 0.1,
          beta1: 0.9,
          beta2: 0.999,
          correction2Sqrt: Math.sqrt(1 - 0.999 ** 3),
          eps: 1e-8,
          stepSize: 1e-3 / (1 - 0.9 ** 3),
        });
        return tf.concat([next.param, next.m, next.v]);
      }),
    gradients: false,
  },
  {
    // Few output tiles and a long inner axis: the matrix kernel splits the inner axis (as for an output
    // head's d hidden = d logits · W). Positive operands: a sum of 3000 terms that cancels to near 0
    // would test float32's conditioning, not the kernel.
    name: 'matMul with a long inner axis',
    inputs: (g) => [float(g, [24, 3000], 0, 1), float(g, [3000, 20], 0, 1)],
    op: (a, b) => tf.matMul(a!, b!),
  },
  {
    name: 'matMul transposeA and transposeB, odd sizes',
    inputs: (g) => [normal(g, [37, 70]), normal(g, [131, 37])],
    op: (a, b) => tf.matMul(a!, b!, true, true),
  },
  {
    name: 'batched matMul broadcasting one matrix',
    inputs: (g) => [normal(g, [3, 33, 20]), normal(g, [20, 17])],
    op: (a, b) => tf.matMul(a!, tf.reshape(b!, [1, 20, 17])),
    // TF.js's gradient of a broadcast batch product has the wrong shape on every backend.
    gradients: false,
  },
];

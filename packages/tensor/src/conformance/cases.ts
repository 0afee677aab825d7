/**
 * The ops the GPT model and its trainer use, each on seeded inputs large enough to run on the device
 * (TF.js hands tensors below 128 elements to the CPU on WebGPU). Values and gradients are compared
 * with the `cpu` backend by {@link runCase}.
 */

import { addBroadcast } from '../ops/add.js';
import { gelu } from '../ops/gelu.js';
import { layerNorm } from '../ops/layer-norm.js';
import { matMul } from '../ops/mat-mul.js';
import { tf } from '../tf.js';
import { type ConformanceCase, float, ints, normal } from './case.js';
import { fusedCases } from './fused-cases.js';
import { halfPrecisionCases } from './half-cases.js';

/** Causal self-attention scores → weights, masked with -Infinity as the model does. */
const causalSoftmax = (scores: tf.Tensor) => {
  const t = scores.shape[scores.shape.length - 1] as number;
  const visible = tf.cast(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 'bool');
  return tf.softmax(tf.where(visible, scores, tf.fill(scores.shape, Number.NEGATIVE_INFINITY)), -1);
};

export const conformanceCases: ConformanceCase[] = [
  {
    name: 'matMul',
    inputs: (g) => [normal(g, [64, 48]), normal(g, [48, 40])],
    op: (a, b) => tf.matMul(a!, b!),
  },
  {
    name: 'matMul transposeB (Linear)',
    inputs: (g) => [normal(g, [96, 64]), normal(g, [80, 64])],
    op: (a, b) => tf.matMul(a!, b!, false, true),
  },
  {
    name: 'matMul transposeA',
    inputs: (g) => [normal(g, [64, 48]), normal(g, [64, 40])],
    op: (a, b) => tf.matMul(a!, b!, true, false),
  },
  {
    name: 'batched matMul (q·kᵀ)',
    inputs: (g) => [normal(g, [2, 3, 16, 8]), normal(g, [2, 3, 16, 8])],
    op: (q, k) => tf.matMul(q!, k!, false, true),
  },
  {
    name: 'batched matMul (weights·v)',
    inputs: (g) => [normal(g, [2, 3, 16, 16]), normal(g, [2, 3, 16, 8])],
    op: (w, v) => tf.matMul(w!, v!),
  },
  ...(
    [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const
  ).map(
    ([transposeA, transposeB]): ConformanceCase => ({
      // The helper model code uses: on wasm, explicit transposes and a custom gradient.
      name: `matMul helper (transposeA ${transposeA}, transposeB ${transposeB})`,
      inputs: (g) => [
        normal(g, transposeA ? [2, 24, 40] : [2, 40, 24]),
        normal(g, transposeB ? [2, 32, 24] : [2, 24, 32]),
      ],
      op: (a, b) => matMul(a!, b!, transposeA, transposeB),
    }),
  ),
  {
    name: 'matMul with a broadcast weight (activations · W)',
    inputs: (g) => [normal(g, [2, 3, 20, 24]), normal(g, [24, 16])],
    op: (x, w) => tf.matMul(x!, w!),
    // TF.js's gradient of a broadcast product does not sum over the broadcast axes, on any backend.
    gradients: false,
  },
  {
    name: 'matMul transposes, large enough to run on several threads',
    inputs: (g) => [normal(g, [160, 130]), normal(g, [150, 160])],
    op: (a, b) => tf.matMul(a!, b!, true, true),
  },
  {
    name: 'fused matMul with bias (Linear)',
    inputs: (g) => [normal(g, [48, 40]), normal(g, [24, 40]), normal(g, [24])],
    op: (x, w, b) => tf.fused.matMul({ a: x!, b: w!, transposeB: true, bias: b! }),
  },
  {
    name: 'matMul helper over batch × heads (q·kᵀ)',
    inputs: (g) => [normal(g, [2, 3, 20, 8]), normal(g, [2, 3, 20, 8])],
    op: (q, k) => matMul(q!, k!, false, true),
  },
  {
    name: 'addBroadcast (bias, residual)',
    inputs: (g) => [normal(g, [4, 8, 16]), normal(g, [8, 16])],
    op: (a, b) => addBroadcast(a!, b!),
  },
  {
    name: 'add broadcast',
    inputs: (g) => [normal(g, [4, 8, 16]), normal(g, [16])],
    op: (a, b) => tf.add(a!, b!),
  },
  { name: 'sub', inputs: (g) => [normal(g, [16, 32]), normal(g, [16, 32])], op: (a, b) => tf.sub(a!, b!) },
  {
    name: 'mul broadcast',
    inputs: (g) => [normal(g, [4, 8, 16]), normal(g, [8, 1])],
    op: (a, b) => tf.mul(a!, b!),
  },
  {
    name: 'div',
    inputs: (g) => [normal(g, [16, 32]), float(g, [16, 32], 0.5, 2)],
    op: (a, b) => tf.div(a!, b!),
  },
  { name: 'neg', inputs: (g) => [normal(g, [512])], op: (a) => tf.neg(a!) },
  { name: 'exp', inputs: (g) => [normal(g, [512])], op: (a) => tf.exp(a!) },
  { name: 'log', inputs: (g) => [float(g, [512], 0.1, 4)], op: (a) => tf.log(a!) },
  { name: 'sqrt', inputs: (g) => [float(g, [512], 0.1, 4)], op: (a) => tf.sqrt(a!) },
  { name: 'rsqrt', inputs: (g) => [float(g, [512], 0.1, 4)], op: (a) => tf.rsqrt(a!) },
  { name: 'square', inputs: (g) => [normal(g, [512])], op: (a) => tf.square(a!) },
  { name: 'pow 3', inputs: (g) => [normal(g, [512])], op: (a) => tf.pow(a!, 3) },
  { name: 'tanh', inputs: (g) => [normal(g, [512], 2)], op: (a) => tf.tanh(a!) },
  { name: 'abs', inputs: (g) => [normal(g, [512])], op: (a) => tf.abs(a!) },
  { name: 'maximum', inputs: (g) => [normal(g, [512]), normal(g, [512])], op: (a, b) => tf.maximum(a!, b!) },
  { name: 'clipByValue', inputs: (g) => [normal(g, [512])], op: (a) => tf.clipByValue(a!, -0.5, 0.7) },
  { name: 'gelu (tanh, own gradient)', inputs: (g) => [normal(g, [8, 64], 2)], op: (a) => gelu(a!) },
  {
    name: 'reshape + transpose (head split)',
    inputs: (g) => [normal(g, [2, 8, 24])],
    op: (x) => tf.transpose(tf.reshape(x!, [2, 8, 4, 6]), [0, 2, 1, 3]),
  },
  { name: 'sum last axis', inputs: (g) => [normal(g, [8, 4, 64])], op: (x) => tf.sum(x!, -1, true) },
  { name: 'sum all', inputs: (g) => [normal(g, [16, 64])], op: (x) => tf.sum(x!) },
  { name: 'mean last axis', inputs: (g) => [normal(g, [8, 4, 64])], op: (x) => tf.mean(x!, -1, true) },
  { name: 'max last axis', inputs: (g) => [normal(g, [8, 4, 64])], op: (x) => tf.max(x!, -1) },
  { name: 'moments (variance)', inputs: (g) => [normal(g, [8, 64])], op: (x) => tf.moments(x!, -1).variance },
  {
    name: 'layerNorm (own gradient)',
    inputs: (g) => [normal(g, [4, 8, 32], 3), normal(g, [32]), normal(g, [32])],
    op: (x, scale, shift) => layerNorm(x!, scale!, shift!),
  },
  { name: 'softmax', inputs: (g) => [normal(g, [8, 4, 64], 3)], op: (x) => tf.softmax(x!, -1) },
  { name: 'logSoftmax', inputs: (g) => [normal(g, [8, 4, 64], 3)], op: (x) => tf.logSoftmax(x!, -1) },
  {
    name: 'causal masked softmax',
    inputs: (g) => [normal(g, [2, 2, 16, 16], 2)],
    op: (s) => causalSoftmax(s!),
  },
  {
    name: 'gather rows (embedding)',
    inputs: (g) => [normal(g, [50, 32]), ints(g, [4, 24], 50)],
    op: (table, ids) => tf.gather(table!, ids!),
  },
  {
    // The target logit of each row, as the trainer's cross-entropy picks it: (row, target) pairs keep
    // every index small, where a flat row·V + target index passes 2^24 and WebGPU (which reads indices
    // as float32) rounds it.
    name: 'gatherND (picked logits)',
    inputs: (g) => [normal(g, [64, 40]), ints(g, [64], 40)],
    op: (logits, targets) => tf.gatherND(logits!, tf.stack([tf.range(0, 64, 1, 'int32'), targets!], 1)),
    // TF.js registers no gradient for GatherNd or ScatterNd: the trainer's cross-entropy defines its own.
    gradients: false,
  },
  {
    name: 'scatterND (one per row)',
    inputs: (g) => [normal(g, [64]), ints(g, [64], 40)],
    op: (values, targets) =>
      tf.scatterND(tf.stack([tf.range(0, 64, 1, 'int32'), targets!], 1), values!, [64, 40]),
    gradients: false,
  },
  {
    name: 'unsortedSegmentSum',
    inputs: (g) => [normal(g, [96, 16]), ints(g, [96], 20)],
    op: (x, ids) => tf.unsortedSegmentSum(x!, ids as tf.Tensor1D, 20),
  },
  {
    name: 'concat',
    inputs: (g) => [normal(g, [4, 8, 16]), normal(g, [4, 8, 24])],
    op: (a, b) => tf.concat([a!, b!], -1),
  },
  { name: 'slice', inputs: (g) => [normal(g, [4, 16, 32])], op: (x) => tf.slice(x!, [1, 2, 0], [2, 10, 32]) },
  {
    name: 'split (q, k, v)',
    inputs: (g) => [normal(g, [4, 8, 48])],
    op: (x) => {
      const [q, k, v] = tf.split(x!, 3, -1);
      return tf.add(tf.mul(q!, 2), tf.mul(k!, v!));
    },
  },
  {
    name: 'cast int→float',
    inputs: (g) => [ints(g, [256], 1000)],
    op: (x) => tf.cast(x!, 'float32'),
    gradients: false,
  },
  {
    name: 'bandPart (causal mask)',
    inputs: (g) => [normal(g, [24, 24])],
    op: (x) => tf.linalg.bandPart(x!, -1, 0),
    gradients: false,
  },
  {
    name: 'notEqual + where (ignore index)',
    inputs: (g) => [normal(g, [256]), ints(g, [256], 4)],
    op: (x, t) => tf.where(tf.notEqual(t!, 0), x!, tf.zerosLike(x!)),
  },
  { name: 'argMax', inputs: (g) => [normal(g, [16, 200])], op: (x) => tf.argMax(x!, -1), gradients: false },
  {
    name: 'topk values',
    inputs: (g) => [normal(g, [4, 200])],
    op: (x) => tf.topk(x!, 5).values,
    gradients: false,
  },
  { name: 'cumsum', inputs: (g) => [normal(g, [4, 200])], op: (x) => tf.cumsum(x!, 1), gradients: false },
  {
    name: 'isFinite',
    inputs: (g) => [normal(g, [256])],
    op: (x) => tf.cast(tf.isFinite(tf.div(x!, tf.round(x!))), 'float32'),
    gradients: false,
  },
  ...fusedCases,
  ...halfPrecisionCases,
];

import { readFileSync } from 'node:fs';
import { initBackend, parseSafetensors, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalAttention } from './causal-attention.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { MultiHeadAttentionWrapper } from './multi-head-wrapper.js';
import { SelfAttentionV1 } from './self-attention-v1.js';
import { SelfAttentionV2 } from './self-attention-v2.js';
import {
  attentionScores,
  contextVector,
  naiveSoftmax,
  normalizeBySum,
  simplifiedSelfAttention,
} from './simplified.js';

// "Your journey starts with one step", as 3-d vectors (the book's chapter 3 inputs).
const inputs = [
  [0.43, 0.15, 0.89],
  [0.55, 0.87, 0.66],
  [0.57, 0.85, 0.64],
  [0.22, 0.58, 0.33],
  [0.77, 0.25, 0.1],
  [0.05, 0.8, 0.55],
];

const round4 = (values: ArrayLike<number>) => Array.from(values, (v) => Math.round(v * 10_000) / 10_000);

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('attention without trainable weights (chapter 3.3)', () => {
  const x = () => tf.tensor2d(inputs);
  const query = () => tf.tensor1d(inputs[1]!);

  it('scores, normalises and weighs for the query "journey" (x²)', async () => {
    const scores = attentionScores(x(), query());
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the book's score 0.7070, not 1/√2
    expect(round4(await scores.data())).toEqual([0.9544, 1.495, 1.4754, 0.8434, 0.707, 1.0865]);
    expect(round4(await normalizeBySum(scores).data())).toEqual([
      0.1455, 0.2278, 0.2249, 0.1285, 0.1077, 0.1656,
    ]);
    const weights = naiveSoftmax(scores) as tf.Tensor1D;
    expect(round4(await weights.data())).toEqual([0.1385, 0.2379, 0.2333, 0.124, 0.1082, 0.1581]);
    expect(round4(await tf.softmax(scores).data())).toEqual(round4(await weights.data()));
    expect(round4(await contextVector(weights, x()).data())).toEqual([0.4419, 0.6515, 0.5683]);
  });

  it('computes every context vector at once', async () => {
    const { weights, context } = simplifiedSelfAttention(x());
    expect(round4((await weights.array())[0]!)).toEqual([0.2098, 0.2006, 0.1981, 0.1242, 0.122, 0.1452]);
    expect(((await context.array()) as number[][]).map(round4)).toEqual([
      [0.4421, 0.5931, 0.579],
      [0.4419, 0.6515, 0.5683],
      [0.4431, 0.6496, 0.5671],
      [0.4304, 0.6298, 0.551],
      [0.4671, 0.591, 0.5266],
      [0.4177, 0.6503, 0.5645],
    ]);
    // Each row of weights sums to 1.
    expect(round4(await tf.sum(weights, 1).data())).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

/** Weights PyTorch drew with the book's seeds, and its outputs (tools/reference/make_fixtures.py). */
const fixture = parseSafetensors(
  readFileSync(new URL('../fixtures/chapter3/chapter3.safetensors', import.meta.url)),
);
const tensor = (name: string) => {
  const entry = fixture.tensors.get(name);
  if (entry == null) throw new Error(`fixture has no ${name}`);
  return tf.tensor(entry.data, entry.shape);
};
const stateOf = (prefix: string) =>
  new Map(
    [...fixture.tensors.keys()]
      .filter((key) => key.startsWith(`${prefix}.`) && !key.endsWith('.output'))
      .map((key) => [key.slice(prefix.length + 1), tensor(key)]),
  );

async function expectClose(actual: tf.Tensor, expected: tf.Tensor) {
  expect(actual.shape).toEqual(expected.shape);
  const a = await actual.data();
  const e = await expected.data();
  for (let i = 0; i < e.length; i++) expect(Math.abs(a[i]! - e[i]!)).toBeLessThan(1e-6);
}

describe('attention with trainable weights, loaded from PyTorch (chapter 3.4–3.6)', () => {
  const batch = () => tf.stack([tf.tensor2d(inputs), tf.tensor2d(inputs)]);

  it('SelfAttentionV1 (seed 123) gives the book’s context vectors', async () => {
    const attention = new SelfAttentionV1(3, 2);
    attention.loadStateDict(stateOf('v1'));
    const output = attention.forward(tf.tensor2d(inputs));
    await expectClose(output, tensor('v1.output'));
    expect(round4(((await output.array()) as number[][])[0]!)).toEqual([0.2996, 0.8053]);
  });

  it('SelfAttentionV2 (seed 789) gives the book’s context vectors', async () => {
    const attention = new SelfAttentionV2(3, 2);
    attention.loadStateDict(stateOf('v2'));
    const output = attention.forward(tf.tensor2d(inputs));
    await expectClose(output, tensor('v2.output'));
    expect(round4(((await output.array()) as number[][])[0]!)).toEqual([-0.0739, 0.0713]);
  });

  it('CausalAttention masks the future', async () => {
    const attention = new CausalAttention({ dIn: 3, dOut: 2, contextLength: 6, dropout: 0 });
    attention.loadStateDict(stateOf('causal'));
    const { context, weights } = attention.forwardWithWeights(batch());
    await expectClose(context, tensor('causal.output'));
    expect(round4(((await context.array()) as number[][][])[0]![0]!)).toEqual([-0.4519, 0.2216]);
    const firstRows = ((await weights.array()) as number[][][])[0]!;
    expect(firstRows[0]).toEqual([1, 0, 0, 0, 0, 0]);
    expect(firstRows[2]!.slice(3)).toEqual([0, 0, 0]);
  });

  it('MultiHeadAttentionWrapper concatenates its heads', async () => {
    const attention = new MultiHeadAttentionWrapper({
      dIn: 3,
      dOut: 2,
      contextLength: 6,
      dropout: 0,
      numHeads: 2,
    });
    attention.loadStateDict(stateOf('wrapper'));
    const output = attention.forward(batch());
    expect(output.shape).toEqual([2, 6, 4]);
    await expectClose(output, tensor('wrapper.output'));
    expect(attention.forwardWithWeights(batch()).weights.shape).toEqual([2, 2, 6, 6]);
  });

  it('MultiHeadAttention splits heads from one projection', async () => {
    const attention = new MultiHeadAttention({ dIn: 3, dOut: 2, contextLength: 6, dropout: 0, numHeads: 2 });
    expect(attention.namedParameters().map(([name]) => name)).toEqual([
      'W_query.weight',
      'W_key.weight',
      'W_value.weight',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    attention.loadStateDict(stateOf('mha'));
    const output = attention.forward(batch());
    await expectClose(output, tensor('mha.output'));
    expect(round4(((await output.array()) as number[][][])[0]![0]!)).toEqual([0.319, 0.4858]);
  });

  it('refuses a head count that does not divide the output size', () => {
    expect(
      () => new MultiHeadAttention({ dIn: 3, dOut: 5, contextLength: 6, dropout: 0, numHeads: 2 }),
    ).toThrow('dOut (5) must be divisible by numHeads (2)');
  });
});

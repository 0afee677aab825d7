import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { PositionalEmbedding } from './learned-positions.js';
import { OutputHead } from './output-head.js';
import { RotaryEmbedding } from './rotary.js';
import { scaleLlama3Frequency } from './rotary-scaling.js';
import { ShardingError, shardRowCounts } from './shards.js';
import { SinusoidalPositionalEmbedding, sinusoidalTable } from './sinusoidal-positions.js';
import { TokenEmbedding } from './token-embedding.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('TokenEmbedding', () => {
  it('looks up rows of its table, like nn.Embedding', async () => {
    const embedding = new TokenEmbedding(6, 3, { generator: new Generator(0) });
    const table = (await embedding.weight().array()) as number[][];
    const vectors = embedding.forward(
      tf.tensor2d(
        [
          [2, 3, 5],
          [1, 1, 0],
        ],
        [2, 3],
        'int32',
      ),
    );
    expect(vectors.shape).toEqual([2, 3, 3]);
    expect(await vectors.array()).toEqual([
      [table[2], table[3], table[5]],
      [table[1], table[1], table[0]],
    ]);
    embedding.dispose();
  });

  it('initialises N(0, 1)', async () => {
    const embedding = new TokenEmbedding(1000, 64, { generator: new Generator(1) });
    const values = (await embedding.weight().data()) as Float32Array;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeGreaterThan(0.99);
    expect(std).toBeLessThan(1.01);
    embedding.dispose();
  });
});

describe('sharding a vocabulary-sized table', () => {
  it('splits rows evenly so no shard exceeds the limit', () => {
    expect(shardRowCounts(50257, 768 * 4, null)).toEqual([50257]);
    const counts = shardRowCounts(50257, 768 * 4, 128 * 1024 * 1024);
    expect(counts).toEqual([25129, 25128]);
    expect(Math.max(...counts) * 768 * 4).toBeLessThanOrEqual(128 * 1024 * 1024);
    expect(shardRowCounts(10, 4, 12)).toEqual([3, 3, 2, 2]);
    expect(() => shardRowCounts(10, 64, 32)).toThrow(ShardingError);
    expect(() => shardRowCounts(10, 64, 32)).toThrow(
      /One row of 64 bytes exceeds the backend's 32-byte binding limit/,
    );
  });

  it('gives the same lookups, projections and gradients as one table', async () => {
    const whole = new TokenEmbedding(37, 8, { generator: new Generator(2), maxShardBytes: null });
    const sharded = new TokenEmbedding(37, 8, { generator: new Generator(3), maxShardBytes: 10 * 8 * 4 });
    expect(sharded.shards.map((s) => s.shape[0])).toEqual([10, 9, 9, 9]);
    expect(sharded.namedParameters().map(([name]) => name)).toEqual([
      'weight_shard0',
      'weight_shard1',
      'weight_shard2',
      'weight_shard3',
    ]);
    const state = whole.stateDict();
    sharded.loadStateDict(state);
    expect(await sharded.weight().data()).toEqual(await state.get('weight')!.data());

    const ids = tf.tensor2d(
      [
        [0, 9, 10, 36],
        [18, 19, 27, 28],
      ],
      [2, 4],
      'int32',
    );
    expect(await sharded.forward(ids).data()).toEqual(await whole.forward(ids).data());
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 7);
    const projectedWhole = await whole.project(x).data();
    const projectedSharded = await sharded.project(x).data();
    expect(maxAbsDiff(projectedSharded, projectedWhole)).toBeLessThan(1e-5);

    const loss = (table: TokenEmbedding) => () =>
      tf.sum(tf.mul(table.forward(ids), tf.slice(table.project(x), [0, 0, 0], [2, 4, 8]))) as tf.Scalar;
    const gradWhole = tf.variableGrads(loss(whole)).grads;
    const gradSharded = tf.variableGrads(loss(sharded)).grads;
    const wholeGrad = await gradWhole[whole.shards[0]!.name]!.data();
    const shardedGrad = await tf
      .concat(
        sharded.shards.map((s) => gradSharded[s.name]!),
        0,
      )
      .data();
    expect(maxAbsDiff(shardedGrad, wholeGrad)).toBeLessThan(1e-5);
    whole.dispose();
    sharded.dispose();
  });

  it('saves a sharded table as one weight', () => {
    const head = new OutputHead(4, 30, { maxShardBytes: 16 * 4 * 4 });
    expect(head.shards.length).toBe(2);
    const state = head.stateDict();
    expect([...state.keys()]).toEqual(['weight']);
    expect(state.get('weight')!.shape).toEqual([30, 4]);
    expect(() => head.loadStateDict({ weight: tf.zeros([4, 30]) })).toThrow(
      "Tensor 'weight' has shape [4, 30] but the model expects [30, 4]",
    );
    head.dispose();
  });
});

describe('OutputHead', () => {
  it('is a bias-free Linear initialised in ±1/√in', async () => {
    const head = new OutputHead(16, 50, { generator: new Generator(4) });
    const values = (await head.weight().data()) as Float32Array;
    expect(Math.max(...values)).toBeLessThanOrEqual(0.25);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-0.25);
    const x = tf.ones([1, 16]);
    const expected = tf.sum(head.weight(), 1);
    expect(await head.forward(x).data()).toEqual(await expected.data());
    head.dispose();
  });
});

describe('position encodings', () => {
  it('learned: a slice of the table, refusing positions past the context', async () => {
    const positions = new PositionalEmbedding(8, 4, { generator: new Generator(5) });
    const table = (await positions.weight.array()) as number[][];
    expect(await positions.forward(3, 2).array()).toEqual(table.slice(2, 5));
    expect(() => positions.forward(4, 6)).toThrow(/Positions 6\.\.9 exceed the context length 8/);
    positions.dispose();
  });

  it('sinusoidal: sin on even and cos on odd dimensions', () => {
    const table = sinusoidalTable(3, 4);
    expect(Array.from(table.slice(0, 4))).toEqual([0, 1, 0, 1]);
    expect(table[4]).toBeCloseTo(Math.sin(1), 6);
    expect(table[5]).toBeCloseTo(Math.cos(1), 6);
    expect(table[6]).toBeCloseTo(Math.sin(1 / 100), 6);
    const module = new SinusoidalPositionalEmbedding(3, 4);
    expect(module.numParameters()).toBe(0);
    expect(module.forward(2, 1).shape).toEqual([2, 4]);
    module.dispose();
  });

  it('rotary: keeps lengths and makes q·k depend only on the distance', async () => {
    const rotary = new RotaryEmbedding(8, 16);
    const q = tf.randomNormal([1, 1, 1, 8], 0, 1, 'float32', 1);
    const k = tf.randomNormal([1, 1, 1, 8], 0, 1, 'float32', 2);
    const score = async (m: number, n: number) =>
      (await tf.sum(tf.mul(rotary.rotate(q, m), rotary.rotate(k, n))).data())[0]!;
    expect(await score(5, 2)).toBeCloseTo(await score(13, 10), 4);
    expect(await score(5, 2)).not.toBeCloseTo(await score(5, 4), 2);
    const norm = async (t: tf.Tensor) => (await tf.norm(t).data())[0]!;
    expect(await norm(rotary.rotate(q, 7))).toBeCloseTo(await norm(q), 5);
    expect(await rotary.rotate(q, 0).data()).toEqual(await q.data());
    expect(() => new RotaryEmbedding(7, 4)).toThrow(/even head dimension/);
    rotary.dispose();
  });

  it("rotary: Llama 3's scaling keeps short wavelengths, slows long ones, blends the band between", async () => {
    const scaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 64 };
    const ofWavelength = (wavelength: number) => (2 * Math.PI) / wavelength;
    expect(scaleLlama3Frequency(ofWavelength(10), scaling)).toBe(ofWavelength(10)); // under 64 / 4
    expect(scaleLlama3Frequency(ofWavelength(100), scaling)).toBeCloseTo(ofWavelength(100) / 8, 15);
    // Wavelength 32: smooth = (64/32 - 1) / (4 - 1) = 1/3, so (2/3)·f/8 + (1/3)·f = 5f/12.
    expect(scaleLlama3Frequency(ofWavelength(32), scaling)).toBeCloseTo((5 / 12) * ofWavelength(32), 15);
    // The tables follow: position 10 of the slowest pair of a 4-wide head turns by 10·base^(-1/2)/8.
    const scaled = new RotaryEmbedding(4, 16, 10000, { scaling });
    const x = tf.tensor4d([0, 1, 1, 0], [1, 1, 1, 4]); // first half (0, 1), second half (1, 0)
    const [, second, , fourth] = await scaled.rotate(x, 10).data();
    const angle = (10 * 10000 ** -0.5) / 8;
    expect(second).toBeCloseTo(Math.cos(angle), 6); // x₁ cos θ − x₃ sin θ with x₃ = 0
    expect(fourth).toBeCloseTo(Math.sin(angle), 6); // x₃ cos θ + x₁ sin θ
    expect(() => new RotaryEmbedding(4, 16, 10000, { scaling: { ...scaling, highFreqFactor: 1 } })).toThrow(
      /highFreqFactor \(1\) must exceed lowFreqFactor/,
    );
    scaled.dispose();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildInPrecision,
  buildPrecision,
  Generator,
  type HalfPrecision,
  HalfRangeError,
  HalfTensor,
  initBackend,
  Linear,
  tf,
} from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { generate } from './generate.js';
import { GPTModel } from './gpt-model.js';
import { loadModel, serializeCheckpoint } from './index.js';
import { loadCheckpoint, saveCheckpoint } from './node.js';

const backends = await findTestBackends();

const config = (tieWeights: boolean) =>
  preset('gpt-nano', { vocabSize: 96, contextLength: 16, dropRate: 0, tieWeights });

/** A model in 16 bits, and the float32 model holding its rounded weights (loaded from its state). */
async function pair(precision: HalfPrecision, tieWeights: boolean): Promise<[GPTModel, GPTModel]> {
  const half = new GPTModel(config(tieWeights), { generator: new Generator(3) });
  // Larger weights than the init's, so that rounding them moves the logits visibly.
  for (const [name, p] of half.namedParameters()) if (name.endsWith('weight')) p.assign(tf.mul(p, 4));
  await half.storeWeights(precision);
  const rounded = new GPTModel(config(tieWeights), { generator: new Generator(4) });
  const state = half.stateDict();
  rounded.loadStateDict(state);
  tf.dispose([...state.values()]);
  return [half.eval(), rounded.eval()];
}

describe('the state of a model with 16-bit weights', () => {
  it('lists every weight, in the order its host state streams them (a checkpoint header first)', async () => {
    await initBackend({ prefer: 'cpu' });
    const model = new GPTModel(config(false), { generator: new Generator(3) });
    const before = [...model.stateShapes()];
    await model.storeWeights('bf16');
    expect([...model.stateShapes()]).toEqual(before);
    const streamed: Array<[string, number[]]> = [];
    for await (const [name, tensor] of model.hostStateEntries()) streamed.push([name, [...tensor.shape]]);
    expect(streamed).toEqual(before);
    model.dispose();
  });
});

describe.each(backends)('GPT-2 with 16-bit weights on $backend', ({ backend, available }) => {
  it.skipIf(!available).each([
    ['bf16', true],
    ['f16', false],
  ] as const)(
    '%s (tied head %s): greedy tokens and logits match the float32 model of the rounded weights',
    async (precision, tied) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      const [half, rounded] = await pair(precision, tied);
      const prompt = [5, 17, 3, 60];
      const ids = tf.tensor2d([prompt, [1, 2, 3, 4]], undefined, 'int32');
      // A first run makes what the models keep between calls (each attention's causal mask).
      for (const model of [half, rounded]) {
        await generate(model, prompt, { maxNewTokens: 1 });
        model.forward(ids).dispose();
      }
      const before = tf.memory().numTensors;
      const expected = await generate(rounded, prompt, { maxNewTokens: 10 });
      expect(await generate(half, prompt, { maxNewTokens: 10 })).toEqual(expected);
      const [a, b] = [half.forward(ids), rounded.forward(ids)];
      // cpu multiplies the widened weights exactly as float32 does; elsewhere sums run in another order.
      expect(maxAbsDiff(await a.data(), await b.data())).toBeLessThanOrEqual(backend === 'cpu' ? 0 : 1e-4);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
      half.dispose();
      rounded.dispose();
    },
  );
});

describe('storing weights in 16 bits', () => {
  it('freezes the linear layers and tables, keeps norms in float32, and saves the rounded values', async () => {
    await initBackend({ prefer: 'cpu' });
    const [half, rounded] = await pair('bf16', false);
    const trainable = half.namedParameters().map(([name]) => name);
    expect(trainable.every((name) => /norm|pos_emb|bias/.test(name))).toBe(true);
    expect([...half.stateDict().keys()]).toEqual([...rounded.stateDict().keys()]);
    const layer = half.namedModules().find(([, m]) => m instanceof Linear)![1] as Linear;
    expect(layer.weightPrecision).toBe('bf16');
    expect(() => layer.weight).toThrow(/stored in bf16 and frozen: storeWeight\('f32'\) widens it back/);
    await expect(layer.storeWeight('f16')).rejects.toThrow(/already in bf16: store it in f32 first/);
    // The head hands the loss its 16-bit shards, read a shard at a time.
    const head = half.outputWeights();
    expect(head.length).toBeGreaterThan(0);
    expect(head.every((shard) => shard instanceof HalfTensor && shard.precision === 'bf16')).toBe(true);
    await half.storeWeights('f32');
    expect(layer.weightPrecision).toBe('f32');
    const ids = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    const [a, b] = [half.forward(ids), rounded.forward(ids)];
    expect(maxAbsDiff(await a.data(), await b.data())).toBe(0);
    tf.dispose([a, b, ids]);
    half.dispose();
    rounded.dispose();
  });
});

/** Every entry of a model's host state, as plain arrays (16-bit weights read back as their float32 values). */
async function hostState(model: GPTModel): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for await (const [name, tensor] of model.hostStateEntries()) out.set(name, [...tensor.data]);
  return out;
}

describe.each(backends)(
  'a GPT built or loaded straight into 16 bits on $backend',
  ({ backend, available }) => {
    it.skipIf(!available).each([true, false])(
      'built in bf16 (tied head %s): the same weights as built in f32 and then stored in bf16',
      async (tied) => {
        await initBackend({ prefer: backend });
        // Small shards, so that the tables are built one 16-bit shard at a time.
        const options = { generator: new Generator(11), maxShardBytes: 4096 };
        const stored = new GPTModel(config(tied), options);
        await stored.storeWeights('bf16');
        const built = buildInPrecision(
          'bf16',
          () => new GPTModel(config(tied), { ...options, generator: new Generator(11) }),
        );
        expect(buildPrecision()).toBe('f32');
        expect(built.tokEmb.weightPrecision).toBe('bf16');
        expect(built.numParameters({ trainable: true })).toBe(stored.numParameters({ trainable: true }));
        expect(await hostState(built)).toEqual(await hostState(stored));
        stored.dispose();
        built.dispose();
      },
    );

    it.skipIf(!available)(
      'loaded with weightPrecision bf16: what loading in f32 and storing in bf16 gives, in both layouts',
      async () => {
        await initBackend({ prefer: backend });
        const model = new GPTModel(config(false), { generator: new Generator(12), maxShardBytes: 4096 });
        for (const layout of ['book', 'hf'] as const) {
          const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-half-load-'));
          await saveCheckpoint(model, directory, { layout });
          const expected = (await loadCheckpoint(directory, { maxShardBytes: 4096 })).model;
          await expected.storeWeights('bf16');
          const before = tf.memory().numTensors;
          const { model: loaded } = await loadCheckpoint(directory, {
            maxShardBytes: 4096,
            weightPrecision: 'bf16',
          });
          expect(loaded.tokEmb.weightPrecision).toBe('bf16');
          expect(loaded.numParameters({ trainable: true })).toBe(expected.numParameters({ trainable: true }));
          expect(await hostState(loaded)).toEqual(await hostState(expected));
          loaded.dispose();
          // Nothing the load made is left behind.
          expect(tf.memory().numTensors).toBe(before);
          expected.dispose();
          await rm(directory, { recursive: true });
        }
        model.dispose();
      },
    );

    it.skipIf(!available)(
      'a weight f16 cannot hold refuses the load, from bytes or by ranges, and leaves nothing allocated',
      async () => {
        await initBackend({ prefer: backend });
        const model = new GPTModel(config(false), { generator: new Generator(13) });
        const [name, weight] = model.namedParameters().find(([n]) => n.endsWith('ff.layers.0.weight'))!;
        weight.assign(tf.fill(weight.shape, 70000));
        const files = await serializeCheckpoint(model);
        const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-half-range-'));
        await saveCheckpoint(model, directory);
        const before = tf.memory().numTensors;
        expect(() => loadModel(files.config, files.weights, { weightPrecision: 'f16' })).toThrow(
          HalfRangeError,
        );
        expect(tf.memory().numTensors).toBe(before);
        await expect(loadCheckpoint(directory, { weightPrecision: 'f16' })).rejects.toThrow(
          /value 70000 at index 0 is beyond f16's largest finite value \(65504\)/,
        );
        expect(tf.memory().numTensors).toBe(before);
        // bf16 has float32's range: the same weights load.
        const { model: loaded } = loadModel(files.config, files.weights, { weightPrecision: 'bf16' });
        expect((await loaded.hostStateDict()).get(name)?.data[0]).toBe(70144);
        loaded.dispose();
        model.dispose();
        await rm(directory, { recursive: true });
      },
    );
  },
);

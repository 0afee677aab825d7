import { GPTModel } from '@scratchgpt/gpt-model';
import { Generator, type HalfPrecision, initBackend, tf } from '@scratchgpt/tensor';
import { maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyLoRA } from './apply.js';
import { mergeLoRA } from './merge.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const config = {
  vocabSize: 40,
  contextLength: 8,
  embDim: 16,
  nHeads: 2,
  nLayers: 2,
  dropRate: 0,
  qkvBias: true,
  tieWeights: true,
};

const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 3, 7],
      [2, 2, 30, 11, 0],
    ],
    undefined,
    'int32',
  );
const targets = () =>
  tf.tensor2d(
    [
      [5, 9, 3, 7, 1],
      [2, 30, 11, 0, 4],
    ],
    undefined,
    'int32',
  );

function loss(model: GPTModel): tf.Scalar {
  return tf.tidy(() =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.reshape(targets(), [-1]), 40),
      tf.reshape(model.forward(ids()), [-1, 40]),
    ),
  ) as tf.Scalar;
}

/** The same LoRA model twice: on a 16-bit base, and on a float32 base holding the rounded weights. */
async function pair(precision: HalfPrecision): Promise<[GPTModel, GPTModel]> {
  const half = new GPTModel(config, { generator: new Generator(1) });
  await half.storeWeights(precision);
  const rounded = new GPTModel(config, { generator: new Generator(2) });
  const state = half.stateDict();
  rounded.loadStateDict(state);
  tf.dispose([...state.values()]);
  for (const model of [half, rounded]) {
    const layers = applyLoRA(model, { rank: 4, alpha: 8, generator: new Generator(3) });
    // B away from zero, as after some training, so the base's gradient reaches A too.
    const generator = new Generator(4);
    for (const layer of layers.values())
      layer.B.assign(tf.tensor(generator.normalArray(layer.B.size, 0, 0.3), layer.B.shape));
  }
  return [half, rounded];
}

describe('LoRA on a 16-bit base', () => {
  it.each(['bf16', 'f16'] as const)(
    '%s: adapter gradients match the rounded float32 base; loss falls',
    async (precision) => {
      const [half, rounded] = await pair(precision);
      const grads = [half, rounded].map((model) => tf.variableGrads(() => loss(model)));
      const names = half.namedParameters().filter(([, p]) => p.trainable);
      expect(names.length).toBe(24); // A and B of six Linear layers in each of two blocks
      expect(names.every(([name]) => /lora\.(A|B)$/.test(name))).toBe(true);
      const [h, r] = grads as [ReturnType<typeof tf.variableGrads>, ReturnType<typeof tf.variableGrads>];
      const roundedParams = rounded.namedParameters().filter(([, p]) => p.trainable);
      for (const [i, [name, p]] of names.entries()) {
        const q = roundedParams[i]![1];
        expect(maxAbsDiff(await h.grads[p.name]!.data(), await r.grads[q.name]!.data()), name).toBe(0);
      }
      for (const g of grads) tf.dispose([g.value, ...Object.values(g.grads)]);

      const lossValue = async () => {
        const value = loss(half);
        const [number] = await value.data();
        value.dispose();
        return number!;
      };
      const first = await lossValue();
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(0.05);
      for (let step = 0; step < 5; step++) tf.dispose(optimizer.minimize(() => loss(half), true) ?? []);
      const last = await lossValue();
      expect(last).toBeLessThan(first * 0.9);
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(() => mergeLoRA(half)).toThrow(/stored in .* and frozen/);
      half.dispose();
      rounded.dispose();
    },
  );
});

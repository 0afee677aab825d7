import { GPTModel } from '@scratchgpt/gpt-model';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyLoRA } from './apply.js';
import { withAdaptersDisabled, withoutAdapters } from './disable.js';

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
const ids = () => tf.tensor2d([[1, 5, 9, 3, 7]], undefined, 'int32');

/** A model whose base output is known, then LoRA with B moved off zero so the updates show. */
async function tunedModel() {
  const model = new GPTModel(config, { generator: new Generator(2) }).eval();
  const base = await model.forward(ids()).data();
  const layers = applyLoRA(model, { rank: 2, alpha: 4, generator: new Generator(3) });
  const generator = new Generator(5);
  for (const layer of layers.values()) {
    layer.B.assign(tf.tensor(generator.normalArray(layer.B.size, 0, 0.5), layer.B.shape));
  }
  return { model, base, layers };
}

describe('withAdaptersDisabled', () => {
  it('gives the base output bit for bit while it runs, and the tuned one before and after', async () => {
    const { model, base, layers } = await tunedModel();
    const tuned = await model.forward(ids()).data();
    expect(tuned).not.toEqual(base);
    expect(await withAdaptersDisabled(model, () => model.forward(ids())).data()).toEqual(base);
    expect([...layers.values()].every((layer) => layer.enabled)).toBe(true);
    expect(await model.forward(ids()).data()).toEqual(tuned);
    model.dispose();
  });

  it('switches the updates back on when the function throws, and refuses an async one', async () => {
    const { model, layers } = await tunedModel();
    expect(() =>
      withAdaptersDisabled(model, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(() => withAdaptersDisabled(model, async () => 1)).toThrow(/synchronous/);
    expect([...layers.values()].every((layer) => layer.enabled)).toBe(true);
    model.dispose();
  });

  it('leaves an update that was already off, off', async () => {
    const { model, layers } = await tunedModel();
    const first = [...layers.values()][0]!;
    first.enabled = false;
    withAdaptersDisabled(model, () => undefined);
    expect(first.enabled).toBe(false);
    expect([...layers.values()].slice(1).every((layer) => layer.enabled)).toBe(true);
    model.dispose();
  });

  it('refuses a model without LoRA updates, which would be its own base', () => {
    const model = new GPTModel(config, { generator: new Generator(2) });
    expect(() => withAdaptersDisabled(model, () => 1)).toThrow(/carries no LoRA updates/);
    expect(() => withoutAdapters(model)).toThrow(/carries no LoRA updates/);
    model.dispose();
  });
});

describe('withoutAdapters', () => {
  it('is the base model as a model of its own, sharing the weights, while the model stays tuned', async () => {
    const { model, base } = await tunedModel();
    const reference = withoutAdapters(model);
    const tuned = await model.forward(ids()).data();
    expect(await reference.forward(ids()).data()).toEqual(base);
    expect(await model.forward(ids()).data()).toEqual(tuned);
    model.dispose();
  });

  it('passes no gradient to the updates: only the tuned pass trains them', async () => {
    const { model } = await tunedModel();
    const reference = withoutAdapters(model);
    const tuned = tf.variableGrads(() => tf.sum(model.forward(ids())) as tf.Scalar);
    const both = tf.variableGrads(
      () => tf.sum(tf.sub(model.forward(ids()), reference.forward(ids()))) as tf.Scalar,
    );
    expect(Object.keys(both.grads).sort()).toEqual(Object.keys(tuned.grads).sort());
    for (const [name, grad] of Object.entries(tuned.grads)) {
      expect(await both.grads[name]!.data(), name).toEqual(await grad.data());
    }
    tf.dispose([tuned.value, both.value, ...Object.values(tuned.grads), ...Object.values(both.grads)]);
    model.dispose();
  });
});

import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { GEMMA3_PRESETS, type Gemma3Config, gemma3LayerTypes } from './config.js';
import { countGemma3Parameters, Gemma3Model } from './model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const tiny: Gemma3Config = {
  vocabSize: 50,
  contextLength: 16,
  embDim: 32,
  nHeads: 2,
  nKvGroups: 1,
  headDim: 8,
  hiddenDim: 48,
  nLayers: 6,
  layerTypes: gemma3LayerTypes(6),
  slidingWindow: 4,
  ropeBase: 1_000_000,
  ropeLocalBase: 10_000,
  queryPreAttnScalar: 8,
  finalLogitSoftcap: null,
  normEps: 1e-6,
  tieEmbeddings: true,
};

describe('Gemma 3', () => {
  it('counts the published models: 268,098,176 (270M) and 999,885,952 (1B)', () => {
    expect(countGemma3Parameters(GEMMA3_PRESETS['270M'])).toBe(268_098_176);
    expect(countGemma3Parameters(GEMMA3_PRESETS['1B'])).toBe(999_885_952);
  });

  it('mixes five sliding-window layers with one full-attention layer', () => {
    expect(gemma3LayerTypes(12).join(' ')).toBe(
      'sliding sliding sliding sliding sliding full sliding sliding sliding sliding sliding full',
    );
    expect(GEMMA3_PRESETS['270M'].layerTypes.filter((type) => type === 'full')).toHaveLength(3);
  });

  it('has as many parameters as it counts, with four norms a block, all starting at zero', async () => {
    const model = new Gemma3Model(tiny, { generator: new Generator(0) });
    expect(model.numParameters()).toBe(countGemma3Parameters(tiny));
    const norms = model
      .namedParameters()
      .filter(([name]) => name.startsWith('model.layers.0.') && name.includes('norm'));
    expect(norms.map(([name]) => name.slice('model.layers.0.'.length))).toEqual([
      'self_attn.q_norm.weight',
      'self_attn.k_norm.weight',
      'input_layernorm.weight',
      'post_attention_layernorm.weight',
      'pre_feedforward_layernorm.weight',
      'post_feedforward_layernorm.weight',
    ]);
    for (const [, weight] of norms) expect(Math.max(...(await weight.data()))).toBe(0); // scale 1 + 0
    model.dispose();
  });

  it('lets the trainer fuse head and loss only without a logit soft-cap, which sits between them', () => {
    const plain = new Gemma3Model(tiny, { generator: new Generator(1) });
    const capped = new Gemma3Model({ ...tiny, finalLogitSoftcap: 30 }, { generator: new Generator(1) });
    expect(plain.outputWeights?.()).toEqual(plain.model.embedTokens.shards);
    expect(capped.hiddenStates).toBeUndefined();
    expect(capped.outputWeights).toBeUndefined();
    plain.dispose();
    capped.dispose();
  });

  it('gives the last hidden state under a soft-cap too, the one a class head reads', async () => {
    const plain = new Gemma3Model(tiny, { generator: new Generator(1) });
    const capped = new Gemma3Model({ ...tiny, finalLogitSoftcap: 30 }, { generator: new Generator(1) });
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const before = tf.memory().numTensors;
    const [expected, hidden, logits] = [
      plain.hiddenStates!(ids),
      capped.lastHiddenState(ids),
      capped.forward(ids),
    ];
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(hidden.shape).toEqual([1, 4, tiny.embDim]);
    expect(await hidden.data()).toEqual(await expected.data());
    // The head and the cap come after it: tanh(head(h) / cap) · cap gives the model's logits.
    const capLogits = tf.tidy(() => tf.mul(tf.tanh(tf.div(plain.model.embedTokens.project(hidden), 30)), 30));
    expect(await capLogits.data()).toEqual(await logits.data());
    tf.dispose([ids, expected, hidden, logits, capLogits]);
    plain.dispose();
    capped.dispose();
  });

  it('refuses layer types that do not match nLayers, naming the helper', () => {
    expect(() => new Gemma3Model({ ...tiny, layerTypes: gemma3LayerTypes(5) })).toThrow(
      /layerTypes must hold nLayers \(6\) entries.*gemma3LayerTypes\(nLayers\)/,
    );
    expect(() => new Gemma3Model({ ...tiny, slidingWindow: 0 })).toThrow(
      /Gemma 3 config: slidingWindow must be a positive integer, got 0/,
    );
    expect(() => new Gemma3Model({ ...tiny, finalLogitSoftcap: -1 })).toThrow(
      /finalLogitSoftcap must be a positive/,
    );
  });
});

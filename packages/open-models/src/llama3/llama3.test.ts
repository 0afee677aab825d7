import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { LLAMA3_PRESETS, type Llama3Config } from './config.js';
import { countLlama3Parameters, Llama3Model } from './model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const tiny: Llama3Config = {
  vocabSize: 50,
  contextLength: 16,
  embDim: 32,
  nHeads: 4,
  nKvGroups: 1,
  headDim: 8,
  hiddenDim: 48,
  nLayers: 2,
  ropeBase: 500_000,
  ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 16 },
  normEps: 1e-5,
  tieEmbeddings: false,
};

describe('Llama 3', () => {
  it('counts the published models: 1,235,814,400 (3.2-1B) and 3,212,749,824 (3.2-3B)', () => {
    expect(countLlama3Parameters(LLAMA3_PRESETS['3.2-1B'])).toBe(1_235_814_400);
    expect(countLlama3Parameters(LLAMA3_PRESETS['3.2-3B'])).toBe(3_212_749_824);
  });

  it('has as many parameters as it counts, with no QK-norm and its own lm_head', () => {
    const model = new Llama3Model(tiny, { generator: new Generator(0) });
    expect(model.numParameters()).toBe(countLlama3Parameters(tiny));
    const names = model.namedParameters().map(([name]) => name);
    expect(names.some((name) => name.includes('q_norm') || name.includes('k_norm'))).toBe(false);
    expect(names.at(-1)).toBe('lm_head.weight');
    model.dispose();
  });

  it('builds without rope scaling, and refuses scaling with inverted bands', () => {
    new Llama3Model({ ...tiny, ropeScaling: null }, { generator: new Generator(1) }).dispose();
    const inverted = { ...tiny.ropeScaling!, lowFreqFactor: 4, highFreqFactor: 1 };
    expect(() => new Llama3Model({ ...tiny, ropeScaling: inverted })).toThrow(
      /highFreqFactor \(1\) must exceed lowFreqFactor \(4\)/,
    );
    expect(() => new Llama3Model({ ...tiny, ropeScaling: { ...tiny.ropeScaling!, factor: 0 } })).toThrow(
      /factor must be a positive number, got 0/,
    );
  });
});

const wasm = (await findTestBackends()).find(({ backend }) => backend === 'wasm');

describe('Llama 3 on wasm', () => {
  it.skipIf(!wasm?.available)(
    'refuses the 3B preset before allocating: 12.0 GiB of weights against 4 GiB',
    async () => {
      await initBackend({ prefer: 'wasm' });
      const before = tf.memory().numTensors;
      expect(() => new Llama3Model(LLAMA3_PRESETS['3.2-3B'])).toThrow(
        /This Llama 3 model's float32 weights take 12\.0 GiB, more than the 4\.0 GiB the current backend can hold/,
      );
      expect(tf.memory().numTensors).toBe(before);
      await initBackend({ prefer: 'cpu' });
    },
  );
});

import { Generator, initBackend } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type GPTConfig, preset, presets } from './config.js';
import { countParameters, parameterMemoryMB } from './counts.js';
import { FeedForward } from './feed-forward.js';
import { GPTModel } from './gpt-model.js';
import { TransformerBlock } from './transformer-block.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('GPT-2 presets', () => {
  it('have the book’s sizes', () => {
    expect(presets['gpt2-small']).toEqual({
      vocabSize: 50257,
      contextLength: 1024,
      embDim: 768,
      nHeads: 12,
      nLayers: 12,
      dropRate: 0.1,
      qkvBias: false,
    });
    expect(
      [presets['gpt2-medium'], presets['gpt2-large'], presets['gpt2-xl']].map((c) => [
        c.embDim,
        c.nLayers,
        c.nHeads,
      ]),
    ).toEqual([
      [1024, 24, 16],
      [1280, 36, 20],
      [1600, 48, 25],
    ]);
  });

  it.each([
    ['gpt2-small', 163_009_536, 124_412_160, '621.83'],
    ['gpt2-medium', 406_212_608, 354_749_440, '1549.58'],
    ['gpt2-large', 838_220_800, 773_891_840, '3197.56'],
    ['gpt2-xl', 1_637_792_000, 1_557_380_800, '6247.68'],
  ])('%s: %i parameters untied, %i tied, %s MB', (name, untied, tied, megabytes) => {
    const config = preset(name);
    const count = countParameters(config);
    expect(count.total).toBe(untied);
    expect(count.total - count.outputHead).toBe(tied);
    expect(countParameters({ ...config, tieWeights: true }).total).toBe(tied);
    expect(parameterMemoryMB(count.total).toFixed(2)).toBe(megabytes);
  });

  it('small with query/key/value biases has 163,037,184 parameters', () => {
    expect(countParameters(preset('gpt2-small', { qkvBias: true })).total).toBe(163_037_184);
  });

  it('count a GPT-2 small block as the book does: 2,360,064 in attention, 4,722,432 in the feed-forward', () => {
    const block = new TransformerBlock(preset('gpt2-small'), { generator: new Generator(0) });
    expect(block.att.numParameters()).toBe(2_360_064);
    expect(block.ff.numParameters()).toBe(4_722_432);
    expect(countParameters(preset('gpt2-small')).perBlock).toMatchObject({
      attention: 2_360_064,
      feedForward: 4_722_432,
    });
    block.dispose();
    const ff = new FeedForward(768);
    expect(ff.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ['layers.0.weight', [3072, 768]],
      ['layers.0.bias', [3072]],
      ['layers.2.weight', [768, 3072]],
      ['layers.2.bias', [768]],
    ]);
    ff.dispose();
  });

  it.each([
    ['untied', {}],
    ['tied', { tieWeights: true }],
    ['qkv bias', { qkvBias: true }],
    ['sinusoidal', { positionEmbedding: 'sinusoidal' }],
    ['rotary', { positionEmbedding: 'rotary' }],
  ] as Array<[string, Partial<GPTConfig>]>)('agree with an instantiated model (%s)', (_, overrides) => {
    const config = preset('gpt-nano', { vocabSize: 97, ...overrides });
    const model = new GPTModel(config, { generator: new Generator(1) });
    expect(model.numParameters()).toBe(countParameters(config).total);
    model.dispose();
  });

  it('refuse unknown presets and invalid configs, naming the problem', () => {
    expect(() => preset('gpt5')).toThrow(
      new ConfigError(
        "Unknown model preset 'gpt5'. Known presets: gpt2-small, gpt2-medium, gpt2-large, gpt2-xl, gpt-nano, gpt-micro, gpt-mini, gpt-tiny",
      ),
    );
    expect(() => preset('gpt-nano', { embDim: 50 })).toThrow(
      'config.embDim (50) must be divisible by config.nHeads (3)',
    );
    expect(() => preset('gpt-nano', { nLayers: 0 })).toThrow(
      'config.nLayers must be a positive integer, got 0',
    );
    expect(() => preset('gpt-nano', { dropRate: 1 })).toThrow('config.dropRate must be in [0, 1), got 1');
  });
});

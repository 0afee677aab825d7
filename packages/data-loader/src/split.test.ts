import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { createDataLoader } from './data-loader.js';
import { GPTDataset } from './gpt-dataset.js';
import { splitTrainValidation } from './split.js';
import { readCorpus } from './test/corpora.js';

const verdict = readCorpus('the-verdict.txt');

describe('splitTrainValidation', () => {
  it('cuts the-verdict at floor(0.9 × 20,479) = 18,431 characters', () => {
    const { train, validation } = splitTrainValidation(verdict);
    expect(train.length).toBe(18_431);
    expect(validation.length).toBe(2_048);
    expect(train + validation).toBe(verdict);
  });

  it('gives the book’s chapter 5 loaders: context 256, stride 256, batch 2', () => {
    const { train, validation } = splitTrainValidation(verdict, 0.9);
    const gpt2 = getGPT2Tokenizer();
    const options = { maxLength: 256, stride: 256 };
    const trainLoader = createDataLoader(GPTDataset.fromText(train, gpt2, options), {
      batchSize: 2,
      shuffle: true,
      dropLast: true,
      seed: 123,
    });
    const validationLoader = createDataLoader(GPTDataset.fromText(validation, gpt2, options), {
      batchSize: 2,
      shuffle: false,
      dropLast: false,
    });
    const tokens = (loader: typeof trainLoader) =>
      [...loader].reduce((sum, batch) => sum + batch.inputs.length, 0);
    expect([trainLoader.length, tokens(trainLoader)]).toEqual([9, 4_608]);
    expect([validationLoader.length, tokens(validationLoader)]).toEqual([1, 512]);
  });

  it('explains a ratio outside (0, 1)', () => {
    expect(() => splitTrainValidation(verdict, 1)).toThrow(
      'splitTrainValidation: trainRatio must be between 0 and 1, got 1; the book uses 0.9',
    );
  });
});

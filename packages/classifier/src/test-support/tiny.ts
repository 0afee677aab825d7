/** A tiny GPT classifier for tests that need one quickly: GPT-2's vocabulary, 2 layers of 32 dims. */
import { GPTModel } from '@scratchgpt/gpt-model';
import { Generator } from '@scratchgpt/tensor';
import type { ClassifierSettings } from '../checkpoint/settings.js';
import { type CreateClassifierOptions, createClassifier } from '../model/create.js';
import type { GPTClassifier } from '../model/gpt-classifier.js';

export const tinyConfig = {
  vocabSize: 50257,
  contextLength: 32,
  embDim: 32,
  nHeads: 2,
  nLayers: 2,
  dropRate: 0,
  qkvBias: true,
};

export function tinyClassifier(
  options: Partial<CreateClassifierOptions> & { seed?: number; tieWeights?: boolean } = {},
): GPTClassifier {
  const generator = new Generator(options.seed ?? 1);
  const gpt = new GPTModel({ ...tinyConfig, tieWeights: options.tieWeights ?? true }, { generator });
  return createClassifier(gpt, { numClasses: 2, ...options, generator });
}

export function settingsOf(
  classifier: GPTClassifier,
  overrides: Partial<ClassifierSettings> = {},
): ClassifierSettings {
  return {
    classes: ['ham', 'spam'],
    maxLength: 12,
    padTokenId: 50256,
    pooling: classifier.pooling,
    trainable: 'last-block',
    lora: null,
    ...overrides,
  };
}

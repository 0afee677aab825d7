/**
 * A text as training and validation batches: `@scratchgpt/data-loader`'s one pipeline (the book's 90/10
 * split by characters, GPT-2 tokens, non-overlapping windows of the context length), as the CLI uses it.
 */
import { type TextBatches, TooFewTokensError, textToBatches } from '@scratchgpt/data-loader';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';

export type TrainingData = TextBatches;

export function prepareData(
  text: string,
  options: { contextLength: number; batchSize: number; seed: number },
): TrainingData {
  const settings = {
    tokenizer: getGPT2Tokenizer(),
    allowedSpecial: 'all' as const,
    maxLength: options.contextLength,
    batchSize: options.batchSize,
    seed: options.seed,
  };
  try {
    return textToBatches(text, settings);
  } catch (error) {
    // A text too short to hold out a validation window trains without one: the chart then shows the
    // training loss only.
    if (error instanceof TooFewTokensError && error.part === 'validation') {
      return textToBatches(text, { ...settings, validationRatio: 0 });
    }
    throw error;
  }
}

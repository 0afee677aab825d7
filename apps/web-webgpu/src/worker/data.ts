/**
 * A text as training and validation batches: the book's 90/10 split by characters, GPT-2 tokens,
 * non-overlapping windows of the context length.
 */
import { createDataLoader, type DataLoader, GPTDataset, splitTrainValidation } from '@scratchgpt/data-loader';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';

export interface TrainingData {
  train: DataLoader;
  validation: DataLoader | undefined;
  trainTokens: number;
  validationTokens: number;
}

export function prepareData(
  text: string,
  options: { contextLength: number; batchSize: number; seed: number },
): TrainingData {
  const { contextLength, batchSize, seed } = options;
  const tokenizer = getGPT2Tokenizer();
  const split = splitTrainValidation(text, 0.9);
  const trainIds = tokenizer.encode(split.train);
  const validationIds = tokenizer.encode(split.validation);
  const needed = contextLength * batchSize + 1;
  if (trainIds.length < needed) {
    throw new Error(
      `The text is too short: its training part has ${trainIds.length} tokens, and one batch of ${batchSize} × ${contextLength} needs ${needed}. Use a longer text or a smaller context or batch.`,
    );
  }
  const windows = { maxLength: contextLength, stride: contextLength };
  const train = createDataLoader(new GPTDataset(trainIds, windows), { batchSize, seed, dropLast: true });
  // A validation part shorter than one window is left out: the chart then shows training loss only.
  const validation =
    validationIds.length > contextLength
      ? createDataLoader(new GPTDataset(validationIds, windows), {
          batchSize,
          shuffle: false,
          dropLast: false,
        })
      : undefined;
  return { train, validation, trainTokens: trainIds.length, validationTokens: validationIds.length };
}

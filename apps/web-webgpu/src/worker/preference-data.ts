/**
 * The pairs a DPO run tunes on and is measured on: the book's 1,100 preference entries (bundled with
 * the page), split in file order as the instruction data is, tokenized in the chosen prompt format and
 * fitted to the model's context.
 */

import type { PromptFormatName } from '@scratchgpt/instruct';
import {
  collatePreferences,
  encodePreference,
  type PreferenceBatch,
  type PreferencePair,
  parsePreferenceData,
  promptFormat,
  splitInstructionData,
} from '@scratchgpt/instruct';
import { Generator } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { BatchSource } from '@scratchgpt/trainer';
import preferenceData from '../../../../data/instruction-data-with-preference.json?raw';

export interface PreferenceData {
  /** A new seeded order every epoch; the last, smaller batch is left out. */
  train: BatchSource<PreferenceBatch>;
  /** In file order, every pair. */
  validation: BatchSource<PreferenceBatch>;
  trainPairs: number;
  validationPairs: number;
  /** Pairs whose prompt lost its start to fit the context. */
  shortened: number;
}

export function preparePreferenceData(options: {
  format: PromptFormatName;
  /** Pairs from the start of the training split. */
  trainPairs: number;
  batchSize: number;
  contextLength: number;
  seed: number;
}): PreferenceData {
  const { batchSize, contextLength } = options;
  if (contextLength < 2)
    throw new RangeError(`DPO needs a context of at least 2 tokens, got ${contextLength}`);
  const split = splitInstructionData(
    parsePreferenceData(preferenceData, 'instruction-data-with-preference.json'),
  );
  const train = split.train.slice(0, options.trainPairs);
  if (train.length < batchSize) {
    throw new RangeError(
      `DPO needs at least one full batch: ${train.length} training pairs for a batch size of ${batchSize}`,
    );
  }
  const tokenizer = getGPT2Tokenizer();
  const format = promptFormat(options.format);
  let shortened = 0;
  const encode = (entries: typeof train): PreferencePair[] =>
    entries.map((entry) => {
      const pair = encodePreference(entry, tokenizer, format);
      const fitted = fitToContext(pair, contextLength);
      if (fitted !== pair) shortened++;
      return fitted;
    });
  const trainPairs = encode(train);
  const validationPairs = encode(split.validation);
  return {
    train: pairBatches(trainPairs, { batchSize, contextLength, shuffleSeed: options.seed }),
    validation: pairBatches(validationPairs, { batchSize, contextLength }),
    trainPairs: trainPairs.length,
    validationPairs: validationPairs.length,
    shortened,
  };
}

/**
 * A pair whose prompt and answers outgrow the context keeps the end of its prompt (the instruction
 * and the response header) and leaves at least half the context, or the longer answer, to the
 * answers: DPO compares answers, so a row cut inside its prompt would compare nothing.
 */
export function fitToContext(pair: PreferencePair, contextLength: number): PreferencePair {
  const answer = Math.max(pair.chosen.length, pair.rejected.length);
  if (pair.prompt.length + answer <= contextLength) return pair;
  const promptRoom = contextLength - Math.max(1, Math.min(answer, Math.floor(contextLength / 2)));
  if (pair.prompt.length <= promptRoom) return pair;
  return { ...pair, prompt: pair.prompt.slice(pair.prompt.length - promptRoom) };
}

function pairBatches(
  pairs: readonly PreferencePair[],
  options: { batchSize: number; contextLength: number; shuffleSeed?: number },
): BatchSource<PreferenceBatch> {
  const { batchSize, contextLength, shuffleSeed } = options;
  const shuffled = shuffleSeed != null;
  // Training drops the last, smaller batch, as the book's loader does; evaluation keeps every pair.
  const length = shuffled ? Math.floor(pairs.length / batchSize) : Math.ceil(pairs.length / batchSize);
  return {
    length,
    batchSize,
    *batches(epoch = 0, startBatch = 0) {
      const order = shuffled
        ? new Generator(shuffleSeed + epoch).permutation(pairs.length)
        : [...pairs.keys()];
      for (let b = startBatch; b < length; b++) {
        const rows = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => pairs[i] as PreferencePair);
        yield collatePreferences(rows, { allowedMaxLength: contextLength });
      }
    },
  };
}

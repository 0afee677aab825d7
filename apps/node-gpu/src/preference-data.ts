/**
 * Preference data for `instruct dpo`: the bundled file of the book's chapter 7 bonus, read and checked,
 * and batches of it for the training loop. A batch's order within an epoch depends only on the seed
 * and the epoch, so a resumed run sees the same batches.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  collatePreferences,
  encodePreference,
  InstructionDataError,
  type PreferenceBatch,
  type PreferenceEntry,
  type PreferencePair,
  type PromptFormat,
  parsePreferenceData,
} from '@scratchgpt/instruct';
import { Generator } from '@scratchgpt/tensor';
import type { BatchSource } from '@scratchgpt/trainer';
import { readText } from './data.js';
import { CommandError } from './errors.js';
import { gpt2 } from './text-helpers.js';

/** The book's 1,100 entries with a chosen and a rejected answer, in the repository's data/ folder. */
export function defaultPreferenceDataPath(): string {
  const path = fileURLToPath(new URL('../../../data/instruction-data-with-preference.json', import.meta.url));
  if (!existsSync(path))
    throw new CommandError(`The bundled preference data is missing (${path}); pass --data FILE`);
  return path;
}

export async function readPreferenceData(path: string): Promise<PreferenceEntry[]> {
  const text = await readText(path, '--data');
  try {
    return parsePreferenceData(text, `--data ${path}`);
  } catch (error) {
    if (error instanceof InstructionDataError)
      throw new CommandError(`${error.message} (DPO needs a "chosen" and a "rejected" answer per entry)`);
    throw error;
  }
}

export interface PreferenceLoaderOptions {
  batchSize: number;
  /** Positions per row at most: the book's allowed_max_length. */
  allowedMaxLength: number;
  /** A new seeded order each epoch (the book shuffles the training pairs only). */
  shuffle: boolean;
  seed: number;
  /** Leave out the last, smaller batch (the book does for training, not for validation). */
  dropLast: boolean;
  /** The split's name, for error lines. */
  split: string;
}

export interface PreferenceLoader extends BatchSource<PreferenceBatch> {
  /** How many pairs it batches. */
  readonly pairs: number;
  /** Pairs left out: their prompt alone fills `allowedMaxLength`, leaving no answer to compare. */
  readonly leftOut: number;
}

/** Tokenizes the entries once in `format`, and collates them batch by batch as the loop asks. */
export function createPreferenceLoader(
  entries: readonly PreferenceEntry[],
  format: PromptFormat,
  options: PreferenceLoaderOptions,
): PreferenceLoader {
  const { batchSize, shuffle, seed, dropLast, allowedMaxLength } = options;
  const tokenizer = gpt2();
  const encoded = entries.map((entry, index) => {
    const pair = encodePreference(entry, tokenizer, format);
    checkAnswers(pair, `${options.split} entry ${index + 1}`);
    return pair;
  });
  // The first answer token is the target of the prompt's last position: it must be within the limit.
  const pairs = encoded.filter((pair) => pair.prompt.length <= allowedMaxLength);
  const length = dropLast ? Math.floor(pairs.length / batchSize) : Math.ceil(pairs.length / batchSize);

  function order(epoch: number): number[] {
    const indices = pairs.map((_, i) => i);
    if (!shuffle) return indices;
    // Epoch e's order: the (e+1)-th fork of one seeded generator, so any epoch is reached cheaply.
    const base = new Generator(seed);
    let generator = base.fork();
    for (let e = 0; e < epoch; e++) generator = base.fork();
    return generator.shuffle(indices);
  }

  function* batches(epoch = 0, startBatch = 0): IterableIterator<PreferenceBatch> {
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > length) {
      throw new RangeError(`PreferenceLoader: startBatch ${startBatch} is outside the ${length} batches`);
    }
    const indices = order(epoch);
    for (let b = startBatch; b < length; b++) {
      const rows = indices.slice(b * batchSize, (b + 1) * batchSize).map((i) => pairs[i] as PreferencePair);
      yield collatePreferences(rows, { allowedMaxLength });
    }
  }

  return {
    length,
    batchSize,
    maxLength: undefined,
    pairs: pairs.length,
    leftOut: encoded.length - pairs.length,
    batches,
  };
}

/** DPO compares answers: an empty one is a mistake in the data. */
function checkAnswers(pair: PreferencePair, where: string): void {
  for (const side of ['chosen', 'rejected'] as const) {
    if (pair[side].length === 0) throw new CommandError(`--data: ${where} has an empty "${side}" answer`);
  }
}

/**
 * A labelled file as training, validation and test batches, the book's chapter 6 pipeline in one call:
 * read, index the classes, balance (seeded), split 0.7 / 0.1 / rest (seeded), tokenize, pad to the
 * longest training text, batch. The CLI and the browser page both use it, so both cut a file the same
 * way; with the SMS Spam Collection and the defaults it gives the book's exact split.
 */
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { balanceClasses } from './balance.js';
import { classCounts, indexClasses } from './classes.js';
import { ClassificationDataset } from './dataset.js';
import { LabelledDataError, type ReadLabelledOptions, readLabelledTexts } from './labelled-text.js';
import { type ClassificationLoader, createClassificationLoader } from './loader.js';
import { randomSplit } from './split.js';

export interface ClassificationDataOptions extends ReadLabelledOptions {
  tokenizer: Tokenizer;
  /** The class names in index order (default: the labels found, sorted). */
  classes?: readonly string[];
  /** Undersample every class to the smallest one's size (default true, the book's). */
  balance?: boolean;
  /**
   * Seeds the order of the training batches, and the balancing and the split unless `splitSeed` is
   * given (default 123, the book's).
   */
  seed?: number;
  /** Seeds the balancing and the split alone (default: `seed`), so runs may share a split and differ in order. */
  splitSeed?: number;
  /** Default 0.7. */
  trainRatio?: number;
  /** Default 0.1; the test split gets the rest. */
  validationRatio?: number;
  /** Tokens per example, longer texts truncated (default: the longest training text's). */
  maxLength?: number;
  /** The model's context length: examples must fit it. */
  contextLength?: number;
  /** Default 8. */
  batchSize?: number;
  /** Default: the tokenizer's `<|endoftext|>`. */
  padTokenId?: number;
}

export interface SplitData {
  loader: ClassificationLoader;
  /** Row numbers in the file (0-based, among the rows read), in the split's order. */
  rows: number[];
}

export interface ClassificationData {
  classes: string[];
  /** Texts read from the file. */
  rowsRead: number;
  /** Texts of each class in the file. */
  counts: number[];
  /** Texts kept (after balancing). */
  kept: number;
  /** Tokens per example. */
  maxLength: number;
  /** Tokens of the longest text of each split, before truncation. */
  longest: { train: number; validation: number; test: number };
  train: SplitData;
  validation: SplitData;
  test: SplitData;
}

export function prepareClassificationData(
  content: string,
  options: ClassificationDataOptions,
): ClassificationData {
  const source = options.source ?? 'the data';
  const seed = options.seed ?? 123;
  const splitSeed = options.splitSeed ?? seed;
  const batchSize = options.batchSize ?? 8;
  const examples = indexClasses(readLabelledTexts(content, options), {
    ...(options.classes ? { classes: options.classes } : {}),
    source,
  });
  const { texts, labels, classes } = examples;
  const counts = classCounts(labels, classes.length);
  const present = counts.filter((count) => count > 0).length;
  if (present < 2) {
    throw new LabelledDataError(
      `${source} has texts of only one class, '${classes[counts.findIndex((c) => c > 0)]}': a classifier needs at least two`,
    );
  }
  const kept =
    options.balance === false
      ? labels.map((_, row) => row)
      : balanceClasses(labels, classes.length, splitSeed);
  const split = randomSplit(
    kept,
    { train: options.trainRatio ?? 0.7, validation: options.validationRatio ?? 0.1 },
    splitSeed,
  );
  if (split.train.length < batchSize) {
    throw new LabelledDataError(
      `The training split of ${source} has ${split.train.length} ${split.train.length === 1 ? 'text' : 'texts'}, fewer than one batch of ${batchSize}: use a smaller batch size or more data`,
    );
  }
  const tokenized = (rows: number[], maxLength?: number) =>
    new ClassificationDataset(
      rows.map((row) => texts[row] as string),
      rows.map((row) => labels[row] as number),
      {
        tokenizer: options.tokenizer,
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(options.padTokenId !== undefined ? { padTokenId: options.padTokenId } : {}),
      },
    );
  const train = tokenized(split.train, options.maxLength);
  checkFits(train, options, source);
  const validation = tokenized(split.validation, train.maxLength);
  const test = tokenized(split.test, train.maxLength);
  const inOrder = { batchSize, shuffle: false, dropLast: false };
  return {
    classes,
    rowsRead: labels.length,
    counts,
    kept: kept.length,
    maxLength: train.maxLength,
    longest: { train: train.longest, validation: validation.longest, test: test.longest },
    train: {
      loader: createClassificationLoader(train, { batchSize, shuffle: true, seed, dropLast: true }),
      rows: split.train,
    },
    validation: { loader: createClassificationLoader(validation, inOrder), rows: split.validation },
    test: { loader: createClassificationLoader(test, inOrder), rows: split.test },
  };
}

/** The padded length must fit the model's context: too long a text is an error that says how to cut it. */
function checkFits(train: ClassificationDataset, options: ClassificationDataOptions, source: string): void {
  const context = options.contextLength;
  if (context === undefined || train.maxLength <= context) return;
  if (options.maxLength !== undefined) {
    throw new LabelledDataError(
      `A maximum length of ${options.maxLength} tokens exceeds the model's context of ${context}: give at most ${context}`,
    );
  }
  throw new LabelledDataError(
    `The longest training text of ${source} has ${train.longest} tokens, more than the model's context of ${context}: give a maximum length of at most ${context} to truncate longer texts`,
  );
}

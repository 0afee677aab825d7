/**
 * A text as training (and validation) batches, the book's chapter 5 pipeline in one call: split the
 * characters, tokenize each part, cut non-overlapping windows, batch them. Apps and tools use this one
 * helper, so every place turns a text into the same batches.
 */
import type { EncodeOptions, Tokenizer } from '@scratchgpt/tokenizer';
import { createDataLoader, type DataLoader } from './data-loader.js';
import { GPTDataset } from './gpt-dataset.js';
import { splitTrainValidation } from './split.js';

export interface TextBatchesOptions {
  tokenizer: Tokenizer;
  /**
   * Special tokens that may appear in the text as themselves (`'all'`, or a set such as
   * `new Set(['<|endoftext|>'])`, the book's choice); any other is an error. Required: the choice
   * changes the ids, so every caller makes it.
   */
  allowedSpecial: NonNullable<EncodeOptions['allowedSpecial']>;
  /** Tokens per window. */
  maxLength: number;
  /** Windows per batch. */
  batchSize: number;
  /** Share of the characters, from the end, held out for validation (default 0.1, the book's); 0: none. */
  validationRatio?: number;
  /** Shuffle the training windows each epoch, seeded (default true). */
  shuffle?: boolean;
  seed?: number;
  /** Leave out a last partial training batch (default true, the book's); validation keeps it. */
  dropLast?: boolean;
  /**
   * The text as one document between special ids, as families with a BOS and EOS were trained: `start`
   * before its first token (the training part's), `end` after its last (the validation part's, else
   * the training part's). Default: neither, the book's GPT-2 text.
   */
  documentIds?: { start?: number | null; end?: number | null };
}

export interface TextBatches {
  train: DataLoader;
  /** Absent when `validationRatio` is 0. */
  validation: DataLoader | undefined;
  trainTokens: number;
  validationTokens: number;
}

/** A part of the text too short for what was asked of it. */
export class TooFewTokensError extends RangeError {
  override name = 'TooFewTokensError';

  constructor(
    readonly part: 'training' | 'validation',
    readonly tokens: number,
    readonly needed: number,
  ) {
    super(
      `The ${part} part of the text has ${tokens} tokens; it needs at least ${needed} ` +
        `(${part === 'training' ? 'one full batch of windows and their shifted targets' : 'one window and its shifted target'}): ` +
        `use a longer text, a smaller context or batch size${part === 'validation' ? ', or a larger validation share' : ''}`,
    );
  }
}

export function textToBatches(text: string, options: TextBatchesOptions): TextBatches {
  const { tokenizer, allowedSpecial, maxLength, batchSize } = options;
  const ratio = options.validationRatio ?? 0.1;
  const parts = ratio === 0 ? { train: text, validation: '' } : splitTrainValidation(text, 1 - ratio);
  const start = options.documentIds?.start ?? null;
  const end = options.documentIds?.end ?? null;
  const encode = (part: string, framing: { first: boolean; last: boolean }) =>
    Int32Array.from([
      ...(framing.first && start !== null ? [start] : []),
      ...tokenizer.encode(part, { allowedSpecial }),
      ...(framing.last && end !== null ? [end] : []),
    ]);
  const trainIds = encode(parts.train, { first: true, last: ratio === 0 });
  const validationIds =
    ratio === 0 ? new Int32Array(0) : encode(parts.validation, { first: false, last: true });
  const dropLast = options.dropLast ?? true;
  const trainNeeded = (dropLast ? batchSize : 1) * maxLength + 1;
  if (trainIds.length < trainNeeded) throw new TooFewTokensError('training', trainIds.length, trainNeeded);
  if (ratio > 0 && validationIds.length < maxLength + 1) {
    throw new TooFewTokensError('validation', validationIds.length, maxLength + 1);
  }
  const windows = { maxLength, stride: maxLength };
  const train = createDataLoader(new GPTDataset(trainIds, windows), {
    batchSize,
    shuffle: options.shuffle ?? true,
    seed: options.seed ?? 0,
    dropLast,
  });
  const validation =
    ratio === 0
      ? undefined
      : createDataLoader(new GPTDataset(validationIds, windows), {
          batchSize,
          shuffle: false,
          dropLast: false,
        });
  return { train, validation, trainTokens: trainIds.length, validationTokens: validationIds.length };
}

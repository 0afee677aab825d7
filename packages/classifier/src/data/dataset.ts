/**
 * The book's `SpamDataset`: each text as token ids, padded on the right with the end-of-text id to one
 * length: the longest text's (the training split) or a given length, longer texts being truncated to
 * their first tokens (validation and test take the training split's length).
 */
import { END_OF_TEXT, type Tokenizer } from '@scratchgpt/tokenizer';

export interface ClassificationDatasetOptions {
  tokenizer: Tokenizer;
  /** Tokens per example: longer texts keep their first `maxLength` (default: the longest text's). */
  maxLength?: number;
  /** The padding id (default: `padTokenIdOf(tokenizer)`, GPT-2's `<|endoftext|>` 50256). */
  padTokenId?: number;
}

export interface ClassificationExample {
  /** `maxLength` ids: the text's, then padding. */
  ids: Int32Array;
  /** Ids before the padding. */
  length: number;
  label: number;
}

export class ClassificationDataset {
  readonly length: number;
  readonly maxLength: number;
  /** Tokens of the longest text before any truncation. */
  readonly longest: number;
  readonly padTokenId: number;
  readonly labels: Int32Array;
  readonly #encoded: Int32Array[];

  constructor(texts: readonly string[], labels: readonly number[], options: ClassificationDatasetOptions) {
    if (texts.length !== labels.length)
      throw new RangeError(`${texts.length} texts but ${labels.length} labels`);
    this.padTokenId = options.padTokenId ?? padTokenIdOf(options.tokenizer);
    const encoded = texts.map((text) => Int32Array.from(encodeText(options.tokenizer, text)));
    this.longest = encoded.reduce((longest, ids) => Math.max(longest, ids.length), 0);
    const maxLength = options.maxLength ?? this.longest;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new RangeError(`maxLength must be an integer ≥ 1, got ${maxLength}`);
    }
    this.maxLength = maxLength;
    this.#encoded = encoded.map((ids) => ids.subarray(0, maxLength));
    this.labels = Int32Array.from(labels);
    this.length = texts.length;
  }

  get(index: number): ClassificationExample {
    const text = this.#encoded[index];
    if (text == null) throw new RangeError(`Example ${index} is out of range (${this.length} examples)`);
    const ids = new Int32Array(this.maxLength).fill(this.padTokenId);
    ids.set(text);
    return { ids, length: text.length, label: this.labels[index] as number };
  }
}

/** A text's ids as the classifier reads them: special tokens in the text are taken as themselves. */
export function encodeText(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { allowedSpecial: 'all' });
}

/**
 * The id texts are padded with: the tokenizer's own pad token where it names one (a Hugging Face
 * tokenizer_config.json's `pad_token`), else `<|endoftext|>` as the book pads (GPT-2's 50256), else its
 * end-of-sequence token.
 */
export function padTokenIdOf(tokenizer: Tokenizer): number {
  const { padId, eosId } = tokenizer as Tokenizer & { padId?: number | null; eosId?: number | null };
  const id = padId ?? tokenizer.specialTokens.get(END_OF_TEXT) ?? eosId;
  if (id == null) {
    throw new RangeError(
      `The tokenizer ${tokenizer.name} has no pad token, no ${END_OF_TEXT} and no end-of-sequence token: give padTokenId`,
    );
  }
  return id;
}

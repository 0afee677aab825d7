import { END_OF_TEXT, type EncodeOptions, type Tokenizer } from '@scratchgpt/tokenizer';
import { checkInteger } from './check.js';

/**
 * Where a dataset reads its token ids: an array in memory (`Int32Array`, `number[]`…) or anything
 * with a length and a `slice`, such as a `TokenFile` that reads windows from disk.
 */
export interface TokenSource {
  readonly length: number;
  slice(start: number, end: number): ArrayLike<number>;
}

export interface GPTDatasetOptions {
  /** Tokens in each input (the model's context length). */
  maxLength: number;
  /** How far each window starts after the previous one; `maxLength` gives windows that do not overlap. */
  stride: number;
}

/** One training example: `target` is `input` shifted one token to the left. */
export interface Sample {
  input: Int32Array;
  target: Int32Array;
}

/**
 * The book's `GPTDatasetV1`: a sliding window over token ids. Window `i` starts at `i · stride` and
 * holds `maxLength` input tokens; its target is the same window one token later. Windows start while
 * `start + maxLength < ids.length`, so every target is complete.
 */
export class GPTDataset {
  readonly tokens: TokenSource;
  readonly maxLength: number;
  readonly stride: number;
  /** The number of windows. */
  readonly length: number;

  constructor(tokens: TokenSource, options: GPTDatasetOptions) {
    const { maxLength, stride } = options;
    checkInteger('GPTDataset', 'maxLength', maxLength, 1, 'pass the context length, e.g. { maxLength: 256 }');
    checkInteger(
      'GPTDataset',
      'stride',
      stride,
      1,
      'pass e.g. { stride: maxLength } for windows that do not overlap',
    );
    if (tokens.length <= maxLength) {
      throw new RangeError(
        `GPTDataset: ${tokens.length} tokens make no window of maxLength ${maxLength} (a window and its ` +
          `shifted target need ${maxLength + 1}); use a longer text or a smaller maxLength`,
      );
    }
    this.tokens = tokens;
    this.maxLength = maxLength;
    this.stride = stride;
    this.length = Math.ceil((tokens.length - maxLength) / stride);
  }

  /** Tokenizes a text (allowing `<|endoftext|>`, as the book does) and windows its ids. */
  static fromText(
    text: string,
    tokenizer: Tokenizer,
    options: GPTDatasetOptions & EncodeOptions,
  ): GPTDataset {
    const allowedSpecial = options.allowedSpecial ?? new Set([END_OF_TEXT]);
    return new GPTDataset(Int32Array.from(tokenizer.encode(text, { allowedSpecial })), options);
  }

  /** Window `index`: `maxLength` inputs and their targets. */
  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`GPTDataset: window ${index} does not exist; windows are 0 to ${this.length - 1}`);
    }
    const start = index * this.stride;
    const slice = this.tokens.slice(start, start + this.maxLength + 1);
    const window = slice instanceof Int32Array ? slice : Int32Array.from(slice);
    return { input: window.subarray(0, this.maxLength), target: window.subarray(1) };
  }
}

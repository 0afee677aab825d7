/** The special token that separates documents (GPT-2's id 50256). */
export const END_OF_TEXT = '<|endoftext|>';

/** The special token the book's `SimpleTokenizerV2` puts in place of an unknown word. */
export const UNKNOWN = '<|unk|>';

export interface EncodeOptions {
  /**
   * Special tokens that may appear in the text and become their own ids. Tokenizers with special
   * tokens (GPT-2 BPE) reject any other special token found in the text, like tiktoken's
   * `disallowed_special` default: pass `new Set(['<|endoftext|>'])` or `'all'` to allow them.
   */
  allowedSpecial?: ReadonlySet<string> | 'all';
}

/** What every scratchgpt tokenizer offers: text to ids and back. */
export interface Tokenizer {
  readonly name: string;
  /** The number of ids: every id is in `[0, vocabSize)`. */
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[]): string;
}

/** Throws when an id is not an integer in `[0, vocabSize)`; the message names the tokenizer and the id. */
export function checkId(id: number, vocabSize: number, name: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new RangeError(`${name} cannot decode id ${id}: ids are integers in [0, ${vocabSize})`);
  }
}

import { BPETokenizer } from './bpe/bpe-tokenizer.js';
import { END_OF_TEXT, type EncodeOptions, type Tokenizer } from './tokenizer.js';

/** GPT-2's vocabulary: 50,000 merges, 256 byte tokens and `<|endoftext|>`. */
export const GPT2_VOCAB_SIZE = 50_257;
export const GPT2_EOT_ID = 50_256;

/**
 * GPT-2's byte-pair encoding (the book's `tiktoken.get_encoding('gpt2')`), with GPT-2's ranks (shipped
 * by js-tiktoken) and this package's own merge: the same ids as tiktoken, token for token, in time
 * that grows as n·log n with the length of a piece. (js-tiktoken's own merge is quadratic: a few
 * thousand letters without a space take seconds.)
 */
export class GPT2Tokenizer implements Tokenizer {
  readonly name: string = 'gpt2';
  readonly vocabSize: number = GPT2_VOCAB_SIZE;
  readonly specialTokens: ReadonlyMap<string, number> = new Map([[END_OF_TEXT, GPT2_EOT_ID]]);
  readonly eotId: number = GPT2_EOT_ID;
  readonly endOfText: string = END_OF_TEXT;
  readonly #bpe = BPETokenizer.fromGPT2('gpt2');

  encode(text: string, options?: EncodeOptions): number[] {
    return this.#bpe.encode(text, options);
  }

  decode(ids: readonly number[]): string {
    return this.#bpe.decode(ids);
  }
}

let shared: GPT2Tokenizer | undefined;

/** One GPT-2 tokenizer per process: parsing the ranks takes a moment. */
export function getGPT2Tokenizer(): GPT2Tokenizer {
  shared ??= new GPT2Tokenizer();
  return shared;
}

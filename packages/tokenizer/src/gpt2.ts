import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { SpecialTokenSplitter } from './special-tokens.js';
import { checkId, END_OF_TEXT, type EncodeOptions, type Tokenizer } from './tokenizer.js';

/** GPT-2's vocabulary: 50,000 merges, 256 byte tokens and `<|endoftext|>`. */
export const GPT2_VOCAB_SIZE = 50_257;
export const GPT2_EOT_ID = 50_256;

/**
 * GPT-2's byte-pair encoding through js-tiktoken (the book's `tiktoken.get_encoding('gpt2')`).
 * Only GPT-2's ranks are imported, so a bundle carries no other encoding.
 */
export class GPT2Tokenizer implements Tokenizer {
  readonly name: string = 'gpt2';
  readonly vocabSize: number = GPT2_VOCAB_SIZE;
  readonly specialTokens: ReadonlyMap<string, number> = new Map([[END_OF_TEXT, GPT2_EOT_ID]]);
  readonly eotId: number = GPT2_EOT_ID;
  readonly endOfText: string = END_OF_TEXT;
  readonly #encoding = new Tiktoken(gpt2Ranks);
  readonly #specials = new SpecialTokenSplitter(this.specialTokens);

  encode(text: string, options?: EncodeOptions): number[] {
    // Checked here too, so every tokenizer words the error the same way.
    this.#specials.split(text, this.name, options);
    const allowed = options?.allowedSpecial;
    return this.#encoding.encode(text, allowed === 'all' ? 'all' : [...(allowed ?? [])]);
  }

  decode(ids: readonly number[]): string {
    for (const id of ids) checkId(id, this.vocabSize, this.name);
    return this.#encoding.decode([...ids]);
  }
}

let shared: GPT2Tokenizer | undefined;

/** One GPT-2 tokenizer per process: parsing the ranks takes a moment. */
export function getGPT2Tokenizer(): GPT2Tokenizer {
  shared ??= new GPT2Tokenizer();
  return shared;
}

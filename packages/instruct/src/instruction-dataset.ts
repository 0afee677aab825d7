/**
 * The book's `InstructionDataset`: every entry formatted and tokenized once, up front. It keeps the
 * length of each prompt too, so a collate function can leave the prompt out of the loss.
 */
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { InstructionDataError, type InstructionEntry } from './entry.js';
import { type PromptFormat, trainingText } from './prompt-format.js';

export interface InstructionDatasetOptions {
  tokenizer: Tokenizer;
  format: PromptFormat;
}

export class InstructionDataset {
  readonly entries: readonly InstructionEntry[];
  readonly format: PromptFormat;
  readonly #ids: number[][];
  readonly #promptLengths: number[];

  constructor(entries: readonly InstructionEntry[], { tokenizer, format }: InstructionDatasetOptions) {
    this.entries = entries;
    this.format = format;
    this.#ids = [];
    this.#promptLengths = [];
    for (const [index, entry] of entries.entries()) {
      // Special tokens are refused in the text (tiktoken's default): an entry cannot smuggle in an
      // end-of-text id, which would end its example early.
      try {
        this.#ids.push(tokenizer.encode(trainingText(format, entry)));
        this.#promptLengths.push(tokenizer.encode(format.prompt(entry)).length);
      } catch (error) {
        throw new InstructionDataError(`entry ${index}: ${(error as Error).message}`);
      }
    }
  }

  get length(): number {
    return this.#ids.length;
  }

  /** The token ids of entry `index`: prompt, response header and output. */
  get(index: number): readonly number[] {
    const ids = this.#ids[index];
    if (ids === undefined) throw new RangeError(`InstructionDataset: no entry ${index} of ${this.length}`);
    return ids;
  }

  /** How many of entry `index`'s first tokens are the prompt (the instruction and its input). */
  promptLength(index: number): number {
    this.get(index);
    return this.#promptLengths[index] as number;
  }

  /** Tokens of every entry, in order. */
  lengths(): number[] {
    return this.#ids.map((ids) => ids.length);
  }
}

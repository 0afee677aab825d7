/**
 * The book's DPO collate: each preference entry becomes two token lists, the prompt followed by the
 * chosen answer and the prompt followed by the rejected one. Both batches are padded with the
 * end-of-text id to one common length, and each row carries a mask that is 1 where a target is a
 * response token and 0 on the prompt and the padding: the log-probabilities DPO compares are those of
 * the answers alone.
 *
 *   prompt [1,2], chosen [3,4], rejected [5] → chosen   inputs [1,2,3,4] targets [2,3,4,E] mask [0,1,1,0]
 *                                              rejected inputs [1,2,5,E] targets [2,5,E,E] mask [0,1,0,0]
 *
 * Unlike `collateInstructions`, no end-of-text id is appended to an answer: as in the book, a padding
 * target is never counted.
 */
import type { Tokenizer } from '@scratchgpt/tokenizer';
import type { SizedBatch } from '@scratchgpt/trainer';
import { END_OF_TEXT_ID } from '../collate.js';
import { alpaca, type PromptFormat } from '../prompt-format.js';
import type { PreferenceEntry } from './entry.js';

/** An entry as token ids: the prompt (with the response header) and the two answers after it. */
export interface PreferencePair {
  prompt: readonly number[];
  chosen: readonly number[];
  rejected: readonly number[];
}

/** One side of a preference batch, row-major `[batchSize, length]`. */
export interface PreferenceSequences {
  inputs: Int32Array;
  /** The inputs shifted by one. */
  targets: Int32Array;
  /** 1 where the target is a response token, 0 on prompt and padding targets. */
  mask: Float32Array;
}

export interface PreferenceBatch extends SizedBatch {
  chosen: PreferenceSequences;
  rejected: PreferenceSequences;
}

export interface PreferenceCollateOptions {
  /** The id padded with (GPT-2's `<|endoftext|>`, 50256). */
  padTokenId?: number;
  /** Cut inputs, targets and masks to this many positions. */
  allowedMaxLength?: number;
}

/**
 * Tokenizes an entry: the prompt in `format` (Alpaca by default) with its response header, and each
 * answer on its own, so the prompt ends exactly where the answer starts.
 */
export function encodePreference(
  entry: PreferenceEntry,
  tokenizer: Pick<Tokenizer, 'encode'>,
  format: PromptFormat = alpaca,
): PreferencePair {
  return {
    prompt: tokenizer.encode(format.prompt(entry) + format.responseHeader),
    chosen: tokenizer.encode(entry.chosen),
    rejected: tokenizer.encode(entry.rejected),
  };
}

export function collatePreferences(
  pairs: readonly PreferencePair[],
  options: PreferenceCollateOptions = {},
): PreferenceBatch {
  const pad = options.padTokenId ?? END_OF_TEXT_ID;
  if (pairs.length === 0) throw new RangeError('collatePreferences: the batch is empty');
  if (options.allowedMaxLength !== undefined && !(options.allowedMaxLength >= 1)) {
    throw new RangeError(`collatePreferences: allowedMaxLength must be ≥ 1, got ${options.allowedMaxLength}`);
  }
  // The longest sequence of either side, plus one padding position so its last token is a target.
  const longest = Math.max(
    ...pairs.map((p) => p.prompt.length + Math.max(p.chosen.length, p.rejected.length)),
  );
  const length = Math.min(longest, options.allowedMaxLength ?? Number.POSITIVE_INFINITY);
  const side = (answer: (pair: PreferencePair) => readonly number[]): PreferenceSequences => {
    const sequences = {
      inputs: new Int32Array(pairs.length * length),
      targets: new Int32Array(pairs.length * length),
      mask: new Float32Array(pairs.length * length),
    };
    pairs.forEach((pair, row) => {
      const response = answer(pair);
      const end = pair.prompt.length + response.length;
      const at = (position: number) =>
        position < pair.prompt.length
          ? (pair.prompt[position] as number)
          : position < end
            ? (response[position - pair.prompt.length] as number)
            : pad;
      let counted = 0;
      for (let t = 0; t < length; t++) {
        sequences.inputs[row * length + t] = at(t);
        sequences.targets[row * length + t] = at(t + 1);
        // Target t is token t + 1: a response token when it lies in [prompt length, end).
        const inResponse = t + 1 >= pair.prompt.length && t + 1 < end;
        sequences.mask[row * length + t] = inResponse ? 1 : 0;
        if (inResponse) counted++;
      }
      if (counted === 0) {
        throw new RangeError(
          `collatePreferences: row ${row} has no response token within ${length} positions (prompt of ${pair.prompt.length} tokens, answer of ${response.length}); raise allowedMaxLength`,
        );
      }
    });
    return sequences;
  };
  return {
    batchSize: pairs.length,
    length,
    chosen: side((p) => p.chosen),
    rejected: side((p) => p.rejected),
  };
}

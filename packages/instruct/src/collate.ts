/**
 * The book's `custom_collate_fn`: token lists of different lengths become one batch of inputs and
 * next-token targets. Each list gets an end-of-text id, all are padded with it to the longest, and
 * every padding target after the first is ignored, so the model learns to end its answer and nothing
 * about padding.
 *
 *   [0,1,2,3,4], [5,6], [7,8,9] → inputs  [[0,1,2,3,4], [5,6,E,E,E], [7,8,9,E,E]]
 *                                 targets [[1,2,3,4,E], [6,E,-100,-100,-100], [8,9,E,-100,-100]]
 *
 * Given `endTokenId` (a chat template's end of turn: Qwen3's `<|im_end|>`, Llama 3's `<|eot_id|>`),
 * that id is appended and the row padded after it with `padTokenId` (which may be the same id); the
 * end's target counts and every target after it is ignored, by position: the same id inside the row
 * (Llama 3 ends the user's turn with `<|eot_id|>` too) stays an ordinary target.
 */
import { IGNORE_INDEX } from '@scratchgpt/tensor';
import type { TrainBatch } from '@scratchgpt/trainer';

/** The target that counts for nothing (-100, PyTorch's), as the tensor package defines it. */
export { IGNORE_INDEX };

export const END_OF_TEXT_ID = 50_256;

export interface CollateOptions {
  /** The id padded with, and appended unless `endTokenId` is given (GPT-2's `<|endoftext|>`, 50256). */
  padTokenId?: number;
  /** The id appended to every row; given, padding is told by position, not by id (default: `padTokenId`). */
  endTokenId?: number;
  /** The target that counts for nothing (-100, PyTorch's). */
  ignoreIndex?: number;
  /** Cut inputs and targets to this many positions (the book allows 1,024, GPT-2's context). */
  allowedMaxLength?: number;
  /**
   * Per row, how many leading tokens are the prompt: their targets are ignored, so only the response
   * is learned (the chapter's exercise 7.2). As there, the last prompt token still predicts the first
   * token after it.
   */
  promptLengths?: readonly number[];
}

export function collateInstructions(
  batch: readonly (readonly number[])[],
  options: CollateOptions = {},
): TrainBatch {
  const pad = options.padTokenId ?? END_OF_TEXT_ID;
  const end = options.endTokenId ?? pad;
  const byPosition = options.endTokenId !== undefined;
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  if (batch.length === 0) throw new RangeError('collateInstructions: the batch is empty');
  if (options.allowedMaxLength !== undefined && !(options.allowedMaxLength >= 1)) {
    throw new RangeError(
      `collateInstructions: allowedMaxLength must be ≥ 1, got ${options.allowedMaxLength}`,
    );
  }
  if (options.promptLengths !== undefined && options.promptLengths.length !== batch.length) {
    throw new RangeError(
      `collateInstructions: ${options.promptLengths.length} prompt lengths for ${batch.length} rows`,
    );
  }
  // Each row plus its end id, padded to the longest: inputs drop the last position, targets the first.
  const padded = Math.max(...batch.map((ids) => ids.length)) + 1;
  const length = Math.min(padded - 1, options.allowedMaxLength ?? Number.POSITIVE_INFINITY);
  const inputs = new Int32Array(batch.length * length);
  const targets = new Int32Array(batch.length * length);
  batch.forEach((ids, row) => {
    const at = (position: number) =>
      position < ids.length ? (ids[position] as number) : position === ids.length ? end : pad;
    const promptLength = options.promptLengths?.[row] ?? 0;
    let padTargets = 0;
    for (let t = 0; t < length; t++) {
      inputs[row * length + t] = at(t);
      let target = at(t + 1);
      if (byPosition) {
        if (t + 1 > ids.length) target = ignore;
      } else if (target === pad && padTargets++ > 0) {
        // The book's rule: the first padding target (the end of text) counts, any after it not.
        target = ignore;
      }
      if (t < promptLength - 1) target = ignore;
      targets[row * length + t] = target;
    }
  });
  return { inputs, targets, batchSize: batch.length, length };
}

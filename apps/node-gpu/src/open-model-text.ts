/**
 * Text for the open families' commands (`train`, `eval`): their own tokenizer, read from the model's
 * directory, and a text file as one document in its ids. A document starts with the family's BOS
 * where it has one (Llama 3's `<|begin_of_text|>`, Gemma 3's `<bos>`; Qwen3 has none) and ends with
 * its EOS, as each family was pretrained; both are tokenizer_config.json's.
 */
import { type TextBatches, type TextBatchesOptions, textToBatches } from '@scratchgpt/data-loader';
import { type HFTokenizer, HFTokenizerFileError, type Tokenizer } from '@scratchgpt/tokenizer';
import { loadHFTokenizerFromDirectory } from '@scratchgpt/tokenizer/node';
import { CommandError } from './errors.js';

/** The model's tokenizer (tokenizer.json and tokenizer_config.json beside its weights). */
export async function openModelTokenizer(files: string, command: string): Promise<HFTokenizer> {
  try {
    return await loadHFTokenizerFromDirectory(files);
  } catch (error) {
    if (!(error instanceof HFTokenizerFileError)) throw error;
    throw new CommandError(`${command}: ${error.message}`);
  }
}

/**
 * The text's batches in the model's ids, framed as one document. An id the model's embedding has no
 * row for (a tokenizer larger than the model) is refused by name rather than read out of bounds.
 */
export function openModelTextBatches(
  text: string,
  tokenizer: HFTokenizer,
  model: { vocabSize: number; family: string },
  options: Omit<TextBatchesOptions, 'tokenizer' | 'allowedSpecial' | 'documentIds'>,
): TextBatches {
  for (const id of [tokenizer.bosId, tokenizer.eosId]) {
    if (id !== null && id >= model.vocabSize) outsideVocabulary(id, tokenizer, model);
  }
  const checked: Tokenizer = {
    name: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    specialTokens: tokenizer.specialTokens,
    decode: (ids) => tokenizer.decode(ids),
    encode: (part, encodeOptions) => {
      const ids = tokenizer.encode(part, encodeOptions);
      const outside = ids.find((id) => id >= model.vocabSize);
      if (outside !== undefined) outsideVocabulary(outside, tokenizer, model);
      return ids;
    },
  };
  return textToBatches(text, {
    ...options,
    tokenizer: checked,
    // Special tokens written in the text are themselves, as the GPT-2 commands read them.
    allowedSpecial: 'all',
    documentIds: { start: tokenizer.bosId, end: tokenizer.eosId },
  });
}

function outsideVocabulary(
  id: number,
  tokenizer: HFTokenizer,
  model: { vocabSize: number; family: string },
): never {
  throw new CommandError(
    `the tokenizer gives token ${id} (${JSON.stringify(tokenizer.decode([id]))}), outside this ${model.family} model's vocabulary of ${model.vocabSize}: its tokenizer files do not belong to this model`,
  );
}

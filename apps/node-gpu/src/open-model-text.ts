/**
 * The text side of an open-family checkpoint directory: its tokenizer (tokenizer.json and
 * tokenizer_config.json) and the ids that end an answer. Those come from two files: the tokenizer's
 * EOS, and generation_config.json's `eos_token_id`, a single id or a list (Gemma 3 lists `<eos>` and
 * `<end_of_turn>`, Qwen3's instruct models `<|im_end|>` and `<|endoftext|>`). For `train` and `eval`, a
 * text file is one document in its ids: it starts with the family's BOS where it has one (Llama 3's
 * `<|begin_of_text|>`, Gemma 3's `<bos>`; Qwen3 has none) and ends with its EOS, as each family was
 * pretrained; both are tokenizer_config.json's.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type TextBatches, type TextBatchesOptions, textToBatches } from '@scratchgpt/data-loader';
import { type HFTokenizer, HFTokenizerFileError, type Tokenizer } from '@scratchgpt/tokenizer';
import { loadHFTokenizerFromDirectory } from '@scratchgpt/tokenizer/node';
import { readDirectoryText } from './data.js';
import { CommandError } from './errors.js';
import { parseJson } from './model-config.js';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

/** A generation config names a handful of stop ids; more is not a config this reads. */
const MAX_STOP_IDS = 64;

/** The directory's tokenizer; without one, a line naming the missing file and `advice`. */
export async function openModelTokenizer(directory: string, advice: string): Promise<HFTokenizer> {
  try {
    return await loadHFTokenizerFromDirectory(directory);
  } catch (error) {
    if (!(error instanceof HFTokenizerFileError)) throw error;
    throw new CommandError(`${error.message}; ${advice}`);
  }
}

/** generation_config.json's `eos_token_id` as a list (empty without the file or the field). */
export async function generationStopIds(directory: string, vocabSize: number): Promise<number[]> {
  const path = join(directory, GENERATION_CONFIG_FILE);
  const exists = await stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!exists) return [];
  const json = parseJson(await readDirectoryText(path, '--model'), path) as { eos_token_id?: unknown };
  const value = json?.eos_token_id;
  if (value === undefined || value === null) return [];
  const ids = Array.isArray(value) ? value : [value];
  const isId = (id: unknown) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < vocabSize;
  if (ids.length > MAX_STOP_IDS || !ids.every(isId)) {
    throw new CommandError(
      `${path}: eos_token_id must be a token id or a list of at most ${MAX_STOP_IDS} ids below the vocabulary size ${vocabSize}, got ${JSON.stringify(value).slice(0, 80)}`,
    );
  }
  return ids as number[];
}

/** Every id that ends an answer: the tokenizer's EOS (if any) and the generation config's, once each. */
export async function openModelStopIds(
  directory: string,
  tokenizer: HFTokenizer | undefined,
  vocabSize: number,
): Promise<number[]> {
  const fromTokenizer = tokenizer?.eosId == null ? [] : [tokenizer.eosId];
  return [...new Set([...fromTokenizer, ...(await generationStopIds(directory, vocabSize))])];
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

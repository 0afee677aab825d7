/**
 * The text side of an open-family checkpoint directory: its tokenizer (tokenizer.json and
 * tokenizer_config.json) and the ids that end an answer. Those come from two files: the tokenizer's
 * EOS, and generation_config.json's `eos_token_id`, a single id or a list (Gemma 3 lists `<eos>` and
 * `<end_of_turn>`, Qwen3's instruct models `<|im_end|>` and `<|endoftext|>`).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type HFTokenizer, HFTokenizerFileError } from '@scratchgpt/tokenizer';
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

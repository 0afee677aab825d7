/**
 * Node-only helpers: save a trained BPE tokenizer to a JSON file and load it back, and load a Hugging
 * Face model directory's tokenizer.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKindError, readRegularFile, writeFileAtomic } from '@scratchgpt/files';
import { BPETokenizer, type BPETokenizerJSON } from './bpe/bpe-tokenizer.js';
import { type HFTokenizer, type LoadHFTokenizerOptions, loadHFTokenizer } from './hf/hf-tokenizer.js';
import {
  HFTokenizerFileError,
  MAX_TOKENIZER_CONFIG_BYTES,
  MAX_TOKENIZER_JSON_BYTES,
} from './hf/json-file.js';

/**
 * Writes `tokenizer.toJSON()` to a file, atomically (a temporary file flushed to disk, then a rename): an
 * interrupted save leaves the previous file whole, and no temporary file.
 */
export async function saveBPETokenizer(tokenizer: BPETokenizer, path: string): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(tokenizer.toJSON()));
}

/**
 * Loads a tokenizer written by `saveBPETokenizer`. A file is data from outside: its pre-tokenization
 * pattern must be GPT-2's unless `trustPattern` is set (see `BPETokenizer.fromJSON`).
 */
export async function loadBPETokenizer(
  path: string,
  options: { trustPattern?: boolean } = {},
): Promise<BPETokenizer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`loadBPETokenizer: ${path} does not exist; save one with saveBPETokenizer first`);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`loadBPETokenizer: ${path} is not valid JSON (${(error as Error).message})`);
  }
  return BPETokenizer.fromJSON(json as BPETokenizerJSON, options);
}

/**
 * Loads the tokenizer of a Hugging Face model directory (Qwen3, Llama 3, Gemma 3): its tokenizer.json
 * and tokenizer_config.json, each read only if it is a regular file within its size cap.
 */
export async function loadHFTokenizerFromDirectory(
  directory: string,
  options: LoadHFTokenizerOptions = {},
): Promise<HFTokenizer> {
  // Both are read at once, but a failure is reported in a fixed order (tokenizer.json first), not in
  // whichever order the reads happen to end.
  const [tokenizerRead, configRead] = await Promise.allSettled([
    readModelFile(directory, 'tokenizer.json', options.maxTokenizerBytes ?? MAX_TOKENIZER_JSON_BYTES),
    readModelFile(directory, 'tokenizer_config.json', options.maxConfigBytes ?? MAX_TOKENIZER_CONFIG_BYTES),
  ]);
  if (tokenizerRead.status === 'rejected') throw tokenizerRead.reason;
  if (configRead.status === 'rejected') throw configRead.reason;
  const [tokenizerJson, configJson] = [tokenizerRead.value, configRead.value];
  try {
    return loadHFTokenizer(tokenizerJson, configJson, options);
  } catch (error) {
    if (error instanceof HFTokenizerFileError)
      throw new HFTokenizerFileError(`${directory}/${error.message}`);
    throw error;
  }
}

async function readModelFile(directory: string, name: string, maxBytes: number): Promise<Uint8Array> {
  const path = join(directory, name);
  try {
    return await readRegularFile(path, maxBytes);
  } catch (error) {
    if (error instanceof FileKindError) throw new HFTokenizerFileError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HFTokenizerFileError(
        `${directory} holds no ${name}: give the directory of a Hugging Face model (with tokenizer.json and tokenizer_config.json)`,
      );
    }
    throw new HFTokenizerFileError(`${path}: ${(error as Error).message}`);
  }
}

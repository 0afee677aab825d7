/** Node-only helpers: save a trained BPE tokenizer to a JSON file and load it back. */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@scratchgpt/files';
import { BPETokenizer, type BPETokenizerJSON } from './bpe/bpe-tokenizer.js';

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

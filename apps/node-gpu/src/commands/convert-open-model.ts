/**
 * `convert` for Qwen3, Llama 3.2 and Gemma 3: a checkpoint in either layout (Hugging Face's, or the
 * book's as `--layout book` writes it; sharded, F16 or BF16 inputs too) rewritten as one F32
 * model.safetensors with its config.json, beside copies of the tokenizer's files, so the result loads
 * in transformers, in the book's models, and in scratchgpt.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicPieces } from '@scratchgpt/files';
import {
  type DecoderModel,
  type LayoutTensor,
  type SerializedOpenModel,
  streamOpenModelCheckpoint,
  toBookLayout,
} from '@scratchgpt/open-models';
import { serializeSafetensors } from '@scratchgpt/tensor';
import { MAX_TOKENIZER_CONFIG_BYTES, MAX_TOKENIZER_JSON_BYTES } from '@scratchgpt/tokenizer';
import { readDirectoryFile } from '../data.js';
import { CommandError } from '../errors.js';
import { makeDirectory } from '../make-directory.js';
import { checkOpenModelFits, loadOpenCheckpointDirectory } from '../open-model-directory.js';
import type { CommandContext } from './context.js';

/** The files besides the weights a generating tool reads, each copied when the source has it. */
const TOKENIZER_FILES: ReadonlyArray<readonly [string, number]> = [
  ['tokenizer.json', MAX_TOKENIZER_JSON_BYTES],
  ['tokenizer_config.json', MAX_TOKENIZER_CONFIG_BYTES],
  ['generation_config.json', MAX_TOKENIZER_CONFIG_BYTES],
  ['special_tokens_map.json', MAX_TOKENIZER_CONFIG_BYTES],
];

export interface OpenConvertRequest {
  from: string;
  fromDirectory: string;
  fromLayout: 'hf' | 'book';
  configJson: unknown;
  to: string;
  layout: 'hf' | 'book';
}

export async function convertOpenModel(
  request: OpenConvertRequest,
  context: CommandContext,
): Promise<number> {
  const { from, fromDirectory, fromLayout, to, layout } = request;
  if (fromLayout === 'hf') checkOpenModelFits(request.configJson, `--model ${from}`);
  await context.startBackend();
  const { model, configJson } = await loadOpenCheckpointDirectory(fromDirectory);
  try {
    const files =
      layout === 'hf' ? streamOpenModelCheckpoint(model, configJson) : await bookFiles(model, configJson);
    const tokenizerFiles = await readTokenizerFiles(fromDirectory);
    await makeDirectory(to);
    const weights = files.weights instanceof Uint8Array ? [files.weights] : files.weights;
    await writeFileAtomicPieces(join(to, 'model.safetensors'), weights);
    await writeFileAtomic(join(to, 'config.json'), `${JSON.stringify(files.config, null, 2)}\n`);
    for (const [name] of TOKENIZER_FILES) {
      const bytes = tokenizerFiles.get(name);
      // A file the source lacks must not survive from what --force replaced.
      if (bytes === undefined) await rm(join(to, name), { force: true });
      else await writeFileAtomic(join(to, name), bytes);
    }
    const { family } = model.config;
    context.output.result(
      { from, to, fromLayout, layout, family, parameters: model.numParameters() },
      () => `converted ${from} (${family}, ${fromLayout}) to ${to} (${layout})`,
    );
    return 0;
  } finally {
    model.dispose();
  }
}

/** The book's config dict and state dict; a tied head is stored as the embedding's copy, as the book's models hold it. */
async function bookFiles(model: DecoderModel, configJson: unknown): Promise<SerializedOpenModel> {
  const book = bookLayoutOf(configJson, await model.hostStateDict());
  return {
    config: book.config,
    weights: serializeSafetensors(book.tensors, { format: 'pt', producer: 'scratchgpt' }),
  };
}

function bookLayoutOf<T extends LayoutTensor>(configJson: unknown, state: Map<string, T>) {
  try {
    return toBookLayout(configJson, state);
  } catch (error) {
    // A model the book's classes cannot express (a Llama whose head_dim is not emb_dim / n_heads).
    if (error instanceof RangeError) throw new CommandError(`--layout book: ${error.message}`);
    throw error;
  }
}

async function readTokenizerFiles(directory: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [name, maxBytes] of TOKENIZER_FILES) {
    const bytes = await readDirectoryFile(join(directory, name), '--model', maxBytes).catch((error) => {
      if ((error as Error).message.endsWith(': no such file')) return undefined;
      throw error;
    });
    if (bytes !== undefined) files.set(name, bytes);
  }
  return files;
}

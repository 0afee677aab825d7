/**
 * Checkpoint directories of the open families (Qwen3, Llama 3.2, Gemma 3) in Hugging Face's layout:
 * told apart from GPT-2 ones by config.json's `model_type`, and loaded through a reader that refuses
 * any file larger than the loader allows before reading it.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertOpenModelFits,
  bookFamilyOf,
  type CheckpointReader,
  type DecoderModel,
  familyOf,
  loadOpenModelCheckpoint,
  type OpenModelCheckpoint,
} from '@scratchgpt/open-models';
import { StateDictError } from '@scratchgpt/tensor';
import { readDirectoryText } from './data.js';
import { CommandError } from './errors.js';
import { parseJson } from './model-config.js';

/** What GPT-2 configs name themselves; scratchgpt's own configs name no model_type at all. */
const GPT2_MODEL_TYPE = 'gpt2';

/**
 * Whether a config.json describes an open-family model: any model_type other than GPT-2's. An
 * unsupported one is refused here, with the families that load, rather than read as GPT-2.
 */
export function isOpenModelConfig(configJson: unknown, where: string): boolean {
  const modelType = (configJson as { model_type?: unknown } | null)?.model_type;
  if (modelType === undefined || modelType === GPT2_MODEL_TYPE) return false;
  try {
    familyOf(configJson, where);
  } catch (error) {
    throw new CommandError(`${(error as Error).message}, gpt2`);
  }
  return true;
}

/** The config.json of a directory, parsed, when it describes an open-family model; else undefined. */
export async function openModelConfigOf(directory: string): Promise<unknown | undefined> {
  const path = join(directory, 'config.json');
  const json = await configJsonOf(directory);
  return json !== undefined && isOpenModelConfig(json, path) ? json : undefined;
}

/**
 * Like {@link openModelConfigOf}, but a config in the book's dict form of an open family (as
 * `convert --layout book` writes it) counts too: `layout` says which of the two it is.
 */
export async function openCheckpointConfigOf(
  directory: string,
): Promise<{ configJson: unknown; layout: 'hf' | 'book' } | undefined> {
  const json = await configJsonOf(directory);
  if (json === undefined) return undefined;
  if (bookFamilyOf(json) !== undefined) return { configJson: json, layout: 'book' };
  return isOpenModelConfig(json, join(directory, 'config.json'))
    ? { configJson: json, layout: 'hf' }
    : undefined;
}

async function configJsonOf(directory: string): Promise<unknown | undefined> {
  const path = join(directory, 'config.json');
  const exists = await stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
  return exists ? parseJson(await readDirectoryText(path, '--model'), path) : undefined;
}

/** Refuses, from its config.json, an open model whose weights the backend cannot hold. */
export function checkOpenModelFits(configJson: unknown, name: string): void {
  try {
    assertOpenModelFits(configJson);
  } catch (error) {
    throw new CommandError(`${name}: ${(error as Error).message}`);
  }
}

/** The model in `directory`; a checkpoint that does not load is one line naming the file and the fix. */
export async function loadOpenModelDirectory(directory: string): Promise<DecoderModel> {
  return (await loadOpenCheckpointDirectory(directory)).model;
}

/** The model in `directory` with the Hugging Face config.json it was built from. */
export async function loadOpenCheckpointDirectory(directory: string): Promise<OpenModelCheckpoint> {
  try {
    return await loadOpenModelCheckpoint(directoryReader(directory));
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError || error instanceof StateDictError) {
      throw new CommandError(`--model ${directory}: ${error.message}`);
    }
    throw error;
  }
}

function directoryReader(directory: string): CheckpointReader {
  return {
    has: (name) =>
      stat(join(directory, name)).then(
        (info) => info.isFile(),
        () => false,
      ),
    read: async (name, maxBytes) => {
      const path = join(directory, name);
      const { size } = await stat(path);
      if (size > maxBytes) {
        throw new RangeError(
          `${name} is ${size} bytes, more than the ${maxBytes} this model's files can hold: the file is not what config.json describes`,
        );
      }
      return new Uint8Array(await readFile(path));
    },
  };
}

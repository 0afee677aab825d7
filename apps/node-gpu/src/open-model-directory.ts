/**
 * Checkpoint directories of the open families (Qwen3, Llama 3.2, Gemma 3) in Hugging Face's layout:
 * told apart from GPT-2 ones by config.json's `model_type`, and loaded through a reader that refuses
 * any file larger than the loader allows before reading it.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKindError, openFileRanges } from '@scratchgpt/files';
import { ADAPTER_FILE, AdapterError, loadAdapters, mergeLoRA } from '@scratchgpt/lora';
import {
  assertOpenModelFits,
  bookFamilyOf,
  type CheckpointReader,
  type DecoderModel,
  familyOf,
  loadOpenModelCheckpoint,
  type OpenModelCheckpoint,
  SINGLE_WEIGHTS_FILE,
} from '@scratchgpt/open-models';
import { SafetensorsError, StateDictError, type StoragePrecision } from '@scratchgpt/tensor';
import type { AdapterUse } from './checkpoint-directory.js';
import { readDirectoryFile, readDirectoryText } from './data.js';
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

/**
 * Refuses, from its config.json, an open model whose weights (stored in `weightPrecision`) the backend
 * cannot hold.
 */
export function checkOpenModelFits(
  configJson: unknown,
  name: string,
  weightPrecision: StoragePrecision = 'f32',
): void {
  try {
    assertOpenModelFits(configJson, weightPrecision);
  } catch (error) {
    throw new CommandError(`${name}: ${(error as Error).message}`);
  }
}

/**
 * The model in `directory`, with the LoRA updates saved beside it (adapter.safetensors) merged in; a
 * checkpoint that does not load is one line naming the file and the fix.
 */
export async function loadOpenModelDirectory(
  directory: string,
  weightPrecision: StoragePrecision = 'f32',
): Promise<DecoderModel> {
  return (await loadOpenModelFiles(directory, 'merge', weightPrecision)).model;
}

/** The model in `directory` with the Hugging Face config.json it was built from. */
export function loadOpenCheckpointDirectory(directory: string): Promise<OpenModelCheckpoint> {
  return loadOpenModelFiles(directory);
}

/**
 * {@link loadOpenModelDirectory} with its config.json and model.safetensors' metadata (a run's step);
 * LoRA updates merged (`merge`) or kept apart to train on (`keep`). `weightPrecision` builds the model
 * in 16 bits as it loads, unless updates are to be merged into its weights first (the caller then
 * stores the merged weights).
 */
export async function loadOpenModelFiles(
  directory: string,
  adapters: AdapterUse = 'merge',
  weightPrecision: StoragePrecision = 'f32',
): Promise<{ model: DecoderModel; configJson: unknown; metadata: Record<string, string> }> {
  try {
    const merging = adapters === 'merge' && existsSync(join(directory, ADAPTER_FILE));
    const { model, configJson, metadata } = await loadOpenModelCheckpoint(directoryReader(directory), {
      weightPrecision: merging ? 'f32' : weightPrecision,
    });
    try {
      await attachSavedAdapters(model, directory, adapters);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return { model, configJson, metadata };
  } catch (error) {
    if (
      error instanceof RangeError ||
      error instanceof TypeError ||
      error instanceof StateDictError ||
      error instanceof SafetensorsError ||
      error instanceof FileKindError
    ) {
      throw new CommandError(`--model ${directory}: ${error.message}`);
    }
    throw error;
  }
}

async function attachSavedAdapters(model: DecoderModel, directory: string, use: AdapterUse): Promise<void> {
  const path = join(directory, ADAPTER_FILE);
  if (!existsSync(path)) return;
  const weightsBytes = (await stat(join(directory, SINGLE_WEIGHTS_FILE))).size;
  try {
    loadAdapters(model, await readDirectoryFile(path, '--model', weightsBytes), path);
  } catch (error) {
    if (error instanceof AdapterError) throw new CommandError(error.message);
    throw error;
  }
  if (use === 'merge') {
    mergeLoRA(model);
    // Loading the updates froze the weights for their sake: merged, the model is a plain one again.
    model.setTrainable(true);
  }
}

function directoryReader(directory: string): CheckpointReader {
  const checkSize = async (name: string, maxBytes: number) => {
    const { size } = await stat(join(directory, name));
    if (size > maxBytes) {
      throw new RangeError(
        `${name} is ${size} bytes, more than the ${maxBytes} this model's files can hold: the file is not what config.json describes`,
      );
    }
  };
  return {
    has: (name) =>
      stat(join(directory, name)).then(
        (info) => info.isFile(),
        () => false,
      ),
    read: async (name, maxBytes) => {
      await checkSize(name, maxBytes);
      return new Uint8Array(await readFile(join(directory, name)));
    },
    // Weights tensor by tensor from the file, bounded by the size it had when opened.
    ranges: async (name, maxBytes) => {
      await checkSize(name, maxBytes);
      return openFileRanges(join(directory, name), { maxBytes });
    },
  };
}

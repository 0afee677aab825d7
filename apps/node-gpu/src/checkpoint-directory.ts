/**
 * Loads `config.json` + `model.safetensors` from a directory; what is wrong with them is one line.
 * A directory that also holds `adapter.safetensors` (LoRA updates trained on those weights, as
 * `instruct train --lora-rank` saves them) loads with its updates: merged into the weights, so every
 * command sees the fine-tuned model, or kept apart (frozen weights, trainable updates) to train on.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASSIFIER_SETTINGS_FILE } from '@scratchgpt/classifier';
import { CheckpointError, ConfigError, type LoadedModel } from '@scratchgpt/gpt-model';
import { companionFileLimit, loadCheckpoint, WEIGHTS_FILE } from '@scratchgpt/gpt-model/node';
import { ADAPTER_FILE, AdapterError, loadAdapters, mergeLoRA } from '@scratchgpt/lora';
import { SafetensorsError, type StoragePrecision } from '@scratchgpt/tensor';
import { readDirectoryFile } from './data.js';
import { CommandError } from './errors.js';

export { ADAPTER_FILE };

/** A classifier's directory keeps its own adapters (they may update its class head): it loads them itself. */
const CLASSIFIER_FILE = CLASSIFIER_SETTINGS_FILE;

export type AdapterUse = 'merge' | 'keep';

/**
 * Loads the checkpoint in `directory`. `weightPrecision` (for serving: `--precision`) builds the model
 * in 16 bits and rounds each weight on its way in, so the float32 model never exists; where updates
 * are to be merged into the weights first, it loads in f32 and the caller stores the merged weights.
 */
export async function loadCheckpointDirectory(
  directory: string,
  adapters: AdapterUse = 'merge',
  weightPrecision: StoragePrecision = 'f32',
): Promise<LoadedModel> {
  try {
    const adapterPath = join(directory, ADAPTER_FILE);
    const withAdapters = existsSync(adapterPath) && !existsSync(join(directory, CLASSIFIER_FILE));
    const loaded = await loadCheckpoint(directory, withAdapters ? {} : { weightPrecision });
    if (withAdapters) {
      const weightsBytes = (await stat(join(directory, WEIGHTS_FILE))).size;
      const bytes = await readDirectoryFile(adapterPath, '--model', companionFileLimit(weightsBytes));
      loadAdapters(loaded.model, bytes, adapterPath);
      if (adapters === 'merge') {
        mergeLoRA(loaded.model);
        // applyLoRA froze the weights for the updates' sake: merged, they are a plain model again.
        loaded.model.setTrainable(true);
      }
    }
    return loaded;
  } catch (error) {
    if (
      error instanceof CheckpointError ||
      error instanceof ConfigError ||
      error instanceof SafetensorsError ||
      error instanceof AdapterError
    ) {
      throw new CommandError(error.message);
    }
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EISDIR' || code === 'EACCES' || code === 'ENOTDIR')
      throw new CommandError(`${directory}: ${message}`);
    throw error;
  }
}

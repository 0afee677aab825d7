/** Loads `config.json` + `model.safetensors` from a directory; what is wrong with them is one line. */
import { CheckpointError, ConfigError, type LoadedModel } from '@scratchgpt/gpt-model';
import { loadCheckpoint } from '@scratchgpt/gpt-model/node';
import { SafetensorsError } from '@scratchgpt/tensor';
import { CommandError } from './errors.js';

export async function loadCheckpointDirectory(directory: string): Promise<LoadedModel> {
  try {
    return await loadCheckpoint(directory);
  } catch (error) {
    if (
      error instanceof CheckpointError ||
      error instanceof ConfigError ||
      error instanceof SafetensorsError
    ) {
      throw new CommandError(error.message);
    }
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EISDIR' || code === 'EACCES' || code === 'ENOTDIR')
      throw new CommandError(`${directory}: ${message}`);
    throw error;
  }
}

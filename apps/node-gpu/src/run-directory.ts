/**
 * A run directory: the checkpoint (`config.json`, `model.safetensors`), its training state
 * (`training-state.safetensors`) and `loss.svg`. Each file is written atomically, and the weights and
 * the training state both record their step, so a resume never mixes two different moments.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, ConfigError, type GPTModel, type LoadedModel } from '@scratchgpt/gpt-model';
import {
  loadCheckpoint,
  readCheckpointConfig,
  saveCheckpoint,
  writeFileAtomic,
} from '@scratchgpt/gpt-model/node';
import { SafetensorsError } from '@scratchgpt/tensor';
import {
  parseTrainingState,
  serializeTrainingState,
  type TrainingSnapshot,
  TrainingStateError,
} from '@scratchgpt/trainer';
import { CommandError } from './errors.js';
import { checkModelMemory, type ModelSourceOptions, resolveModelSource } from './model-source.js';

export const TRAINING_STATE_FILE = 'training-state.safetensors';
export const LOSS_PLOT_FILE = 'loss.svg';

export async function saveRun(
  directory: string,
  model: GPTModel,
  snapshot: TrainingSnapshot,
): Promise<string> {
  const step = String(snapshot.state.step);
  await saveCheckpoint(model, directory, { metadata: { step } });
  await writeFileAtomic(join(directory, TRAINING_STATE_FILE), serializeTrainingState(snapshot));
  return directory;
}

export interface LoadedRun extends LoadedModel {
  /** Present when the directory holds a training state to resume from. */
  snapshot?: TrainingSnapshot;
}

/**
 * Loads `--model`: a checkpoint directory or a Hub id (downloaded first), after checking that it fits
 * the backend's memory; checkpoint problems become one clear line.
 */
export async function loadModelDirectory(
  source: string,
  options: ModelSourceOptions = {},
): Promise<LoadedModel & { directory: string }> {
  const directory = await resolveModelSource(source, options);
  try {
    checkModelMemory(await readCheckpointConfig(directory), source, options);
    return { ...(await loadCheckpoint(directory)), directory };
  } catch (error) {
    if (
      error instanceof CheckpointError ||
      error instanceof ConfigError ||
      error instanceof SafetensorsError
    ) {
      throw new CommandError(error.message);
    }
    throw error;
  }
}

export async function loadRun(source: string, options: ModelSourceOptions = {}): Promise<LoadedRun> {
  const loaded = await loadModelDirectory(source, { ...options, use: 'train' });
  const { directory } = loaded;
  const statePath = join(directory, TRAINING_STATE_FILE);
  if (!existsSync(statePath)) return loaded;
  let snapshot: TrainingSnapshot;
  try {
    snapshot = parseTrainingState(new Uint8Array(await readFile(statePath)), statePath);
  } catch (error) {
    if (error instanceof TrainingStateError) throw new CommandError(error.message);
    throw error;
  }
  const weightsStep = loaded.metadata.step;
  if (weightsStep !== undefined && weightsStep !== String(snapshot.state.step)) {
    throw new CommandError(
      `${directory} is inconsistent: model.safetensors is from step ${weightsStep} but ${TRAINING_STATE_FILE} from ` +
        `step ${snapshot.state.step} (a save was interrupted); delete ${TRAINING_STATE_FILE} to train on from the weights alone`,
    );
  }
  return { ...loaded, snapshot };
}

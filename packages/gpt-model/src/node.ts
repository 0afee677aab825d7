/**
 * Checkpoint directories on disk (Node only): `config.json` + `model.safetensors`, written atomically so
 * an interrupted save never leaves a half-written checkpoint behind.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FileKindError,
  openFileRanges,
  readRegularFile,
  writeFileAtomic,
  writeFileAtomicPieces,
} from '@scratchgpt/files';
import { openSafetensorsRanges, parseStrictJson } from '@scratchgpt/tensor';
import { CheckpointError } from './checkpoint/errors.js';
import { companionFileLimit, MAX_JSON_FILE_BYTES } from './checkpoint/file-limits.js';
import { CONFIG_FILE, WEIGHTS_FILE } from './checkpoint/file-names.js';
import type { Layout } from './checkpoint/layouts.js';
import { type LoadedModel, type LoadModelOptions, loadModelFromRanges } from './checkpoint/load.js';
import { streamCheckpoint } from './checkpoint/save.js';
import type { GPTModel } from './gpt-model.js';

// The bounded reader and the atomic writer live in @scratchgpt/files; they stay exported here as before.
export { FileKindError, openRegularFile, readRegularFile, writeFileAtomic } from '@scratchgpt/files';
export { CONFIG_FILE, companionFileLimit, MAX_JSON_FILE_BYTES, WEIGHTS_FILE };

async function openOrExplain<T>(
  path: string,
  directory: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const file = path.endsWith(CONFIG_FILE) ? CONFIG_FILE : WEIGHTS_FILE;
  try {
    return await use(path);
  } catch (error) {
    if (error instanceof FileKindError) throw new CheckpointError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CheckpointError(
        `No ${file} in ${directory}: a checkpoint directory holds ${CONFIG_FILE} and ${WEIGHTS_FILE}`,
      );
    }
    if (code === 'EISDIR') throw new CheckpointError(`${path} is a directory: ${file} must be a file`);
    if (code === 'EACCES') throw new CheckpointError(`${path} cannot be read here (permission denied)`);
    throw error;
  }
}

/** A checkpoint directory's config.json, parsed. */
export async function readCheckpointConfig(directory: string): Promise<unknown> {
  const configPath = join(directory, CONFIG_FILE);
  const configBytes = await openOrExplain(configPath, directory, (path) =>
    readRegularFile(path, MAX_JSON_FILE_BYTES),
  );
  const configText = new TextDecoder().decode(configBytes);
  try {
    return parseStrictJson(configText, { maxDepth: 16 });
  } catch (error) {
    throw new CheckpointError(`${configPath} is not valid JSON (${(error as Error).message})`);
  }
}

export async function loadCheckpoint(
  directory: string,
  options: Omit<LoadModelOptions, 'configSource' | 'weightsSource'> = {},
): Promise<LoadedModel> {
  const configJson = await readCheckpointConfig(directory);
  const weightsPath = join(directory, WEIGHTS_FILE);
  // Tensor by tensor, straight into the model: the file is never whole in memory (gpt2-xl's is 6.4 GB).
  const file = await openOrExplain(weightsPath, directory, (path) => openFileRanges(path));
  try {
    const weights = await openSafetensorsRanges(file, weightsPath);
    return await loadModelFromRanges(configJson, weights, {
      ...options,
      configSource: join(directory, CONFIG_FILE),
      weightsSource: weightsPath,
    });
  } catch (error) {
    // The file changed while it was read (cut short, replaced): one line naming it.
    if (error instanceof FileKindError) throw new CheckpointError(error.message);
    throw error;
  } finally {
    await file.close();
  }
}

/** Saves `config.json` and `model.safetensors` into `directory` (created if needed). */
export async function saveCheckpoint(
  model: GPTModel,
  directory: string,
  options: { layout?: Layout; metadata?: Record<string, string> } = {},
): Promise<{ directory: string; layout: Layout }> {
  const checkpoint = streamCheckpoint(model, options);
  await mkdir(directory, { recursive: true });
  // Weights first, tensor by tensor from the device: a config.json beside them then means both are complete.
  await writeFileAtomicPieces(join(directory, WEIGHTS_FILE), checkpoint.weights);
  await writeFileAtomic(join(directory, CONFIG_FILE), `${JSON.stringify(checkpoint.config, null, 2)}\n`);
  return { directory, layout: checkpoint.layout };
}

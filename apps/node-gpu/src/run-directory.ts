/**
 * A run directory: what `train` writes, laid out so that a run stopped at any moment, even by
 * `kill -9`, resumes at its last complete checkpoint.
 *
 *   DIR/checkpoint.json                     which checkpoint is current: the commit point
 *   DIR/checkpoints/step-000120/            config.json, model.safetensors, training-state.safetensors
 *   DIR/config.json, DIR/model.safetensors  the current weights again (hard links), so DIR is itself a
 *                                           Hugging Face checkpoint for other tools (a classifier's
 *                                           files too: classifier.json, …)
 *   DIR/loss.svg
 *
 * A save fills a new step directory, commits it by renaming a new checkpoint.json into place, then
 * removes the previous one. A crash before the rename leaves the previous checkpoint current; after
 * it, the new one. Leftovers of an interrupted save are removed when the directory is next opened.
 */
import { existsSync } from 'node:fs';
import { copyFile, link, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryPath, renameIntoPlace, temporaryPath, writeFileAtomic } from '@scratchgpt/files';
import type { GPTModel, LoadedModel } from '@scratchgpt/gpt-model';
import { CONFIG_FILE, companionFileLimit, saveCheckpoint, WEIGHTS_FILE } from '@scratchgpt/gpt-model/node';
import { isLinearWithLoRA, type LinearWithLoRA, LORA_CHILD, serializeAdapters } from '@scratchgpt/lora';
import { INDEX_FILE } from '@scratchgpt/open-models';
import type { Module, StoragePrecision } from '@scratchgpt/tensor';
import {
  parseTrainingState,
  serializeTrainingState,
  TRAINING_STATE_FILE,
  type TrainingSnapshot,
  TrainingStateError,
} from '@scratchgpt/trainer';
import { ADAPTER_FILE, type AdapterUse, loadCheckpointDirectory } from './checkpoint-directory.js';
import { readDirectoryFile, readDirectoryText } from './data.js';
import { CommandError } from './errors.js';
import { weightStorageOf } from './frozen-base.js';
import { makeDirectory } from './make-directory.js';
import { parseRunManifest, type RunManifest, type RunTask } from './run-manifest.js';

export const MANIFEST_FILE = 'checkpoint.json';
export { TRAINING_STATE_FILE };
export const LOSS_PLOT_FILE = 'loss.svg';
const CHECKPOINTS = 'checkpoints';

/** What a directory holds, as far as scratchgpt is concerned; read without loading any weights. */
export type DirectoryContents =
  | { kind: 'missing' }
  /** Exists and holds no checkpoint (it may hold other files). */
  | { kind: 'empty' }
  /** A run: its manifest names the current checkpoint. */
  | { kind: 'run'; manifest: RunManifest }
  /**
   * config.json + model.safetensors (or a sharded set's index) and no run: a converted, downloaded or
   * exported checkpoint.
   */
  | { kind: 'checkpoint' }
  /** Checkpoints were being written but none was completed (the first save was interrupted). */
  | { kind: 'incomplete-run' };

export async function inspectDirectory(directory: string, flag: string): Promise<DirectoryContents> {
  const info = await stat(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') {
      throw new CommandError(`${flag} ${directory}: a part of this path is a file, not a directory`);
    }
    throw new CommandError(`${flag} ${directory}: ${error.message}`);
  });
  if (info == null) return { kind: 'missing' };
  if (!info.isDirectory()) {
    throw new CommandError(
      `${flag} ${directory} is a file: it takes a directory (config.json + model.safetensors)`,
    );
  }
  const names = new Set(await readdir(directory));
  if (names.has(MANIFEST_FILE)) {
    const text = await readDirectoryText(join(directory, MANIFEST_FILE), flag);
    return { kind: 'run', manifest: parseRunManifest(text, join(directory, MANIFEST_FILE)) };
  }
  if (names.has(CONFIG_FILE) && (names.has(WEIGHTS_FILE) || names.has(INDEX_FILE)))
    return { kind: 'checkpoint' };
  if (names.has(CHECKPOINTS)) return { kind: 'incomplete-run' };
  return { kind: 'empty' };
}

/** A new run may go only where no checkpoint would be overwritten. */
export async function checkNewRunDirectory(out: string): Promise<void> {
  const contents = await inspectDirectory(out, '--out');
  if (contents.kind === 'run') {
    throw new CommandError(
      `--out ${out} already holds a run (at step ${contents.manifest.step}): resume it with --model ${out}, or choose another --out`,
    );
  }
  if (contents.kind === 'checkpoint') {
    throw new CommandError(
      `--out ${out} already holds a checkpoint: train on from it with --model ${out} --out NEW_DIR, or choose another --out`,
    );
  }
}

/**
 * Removes what an interrupted save left behind: temporary files, and step directories the manifest
 * does not name. Returns what it removed.
 */
export async function cleanRunDirectory(
  directory: string,
  manifest: RunManifest | undefined,
): Promise<string[]> {
  const removed: string[] = [];
  const remove = async (path: string, name: string) => {
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  };
  for (const name of await readdir(directory)) {
    if (isTemporaryPath(name)) await remove(join(directory, name), name);
  }
  const checkpoints = join(directory, CHECKPOINTS);
  const entries = await readdir(checkpoints).catch(() => [] as string[]);
  for (const name of entries) {
    const relative = `${CHECKPOINTS}/${name}`;
    if (manifest?.checkpoint !== relative) await remove(join(checkpoints, name), relative);
  }
  // A save stopped after its commit may not have pointed the top-level copies at the new weights.
  if (manifest != null) {
    const files = await modelFiles(join(directory, manifest.checkpoint)).catch(() => [
      WEIGHTS_FILE,
      CONFIG_FILE,
    ]);
    for (const file of files) {
      const current = join(directory, manifest.checkpoint, file);
      if (!(await sameFile(current, join(directory, file))))
        await replaceWithLink(current, join(directory, file));
    }
  }
  return removed;
}

/** A checkpoint's model files (all but its training state), which the run directory's top repeats. */
async function modelFiles(checkpoint: string): Promise<string[]> {
  return (await readdir(checkpoint)).filter((name) => name !== TRAINING_STATE_FILE && !isTemporaryPath(name));
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  // Without the checkpoint's own file there is nothing to point at: loading it says what is missing.
  return x == null || (y != null && x.ino === y.ino && x.dev === y.dev);
}

/**
 * Saves the model and its training state as the run's new current checkpoint, and returns the run
 * directory. Saving the step that is already current does nothing.
 */
export async function saveRun(
  directory: string,
  model: GPTModel,
  snapshot: TrainingSnapshot,
  task: Exclude<RunTask, { task: 'classify' }>,
): Promise<string> {
  const write = async (target: string, metadata: Record<string, string>) => {
    if (task.task === 'pretrain' || !task.instruct.lora) {
      await saveCheckpoint(model, target, { metadata });
      return;
    }
    // The frozen base weights as an ordinary checkpoint, the updates beside them.
    await withAdaptersDetached(model, () => saveCheckpoint(model, target, { metadata }));
    await writeFileAtomic(join(target, ADAPTER_FILE), await serializeAdapters(model));
  };
  return saveRunCheckpoint(directory, write, snapshot, task, weightStorageOf(model));
}

/** Runs `action` with the model's LoRA updates detached (its state then holds the base weights alone). */
export async function withAdaptersDetached<T>(model: Module, action: () => Promise<T>): Promise<T> {
  const detached = model
    .namedModules()
    .filter((entry): entry is [string, LinearWithLoRA] => isLinearWithLoRA(entry[1]))
    .map(([, layer]) => [layer, layer.detachAdapter()!] as const);
  try {
    return await action();
  } finally {
    for (const [layer, adapter] of detached) layer.attachAdapter(LORA_CHILD, adapter);
  }
}

/**
 * `saveRun` for any model: `write` puts its files (weights tagged with `metadata`) into a directory no
 * one reads yet; the manifest says what the run trains and how it batched its data.
 */
export async function saveRunCheckpoint(
  directory: string,
  write: (target: string, metadata: Record<string, string>) => Promise<void>,
  snapshot: TrainingSnapshot,
  task: RunTask,
  baseWeights: StoragePrecision = 'f32',
): Promise<string> {
  const previous = await currentManifest(directory);
  const step = snapshot.state.step;
  if (previous?.step === step) return directory;
  const name = `step-${String(step).padStart(6, '0')}`;
  const relative = `${CHECKPOINTS}/${name}`;
  const partial = temporaryPath(join(directory, CHECKPOINTS, name));
  // 1. the files, in a directory no one reads yet
  await write(partial, { step: String(step) });
  await writeFileAtomic(join(partial, TRAINING_STATE_FILE), serializeTrainingState(snapshot));
  const target = join(directory, relative);
  await rm(target, { recursive: true, force: true });
  await renameIntoPlace(partial, target);
  // 2. the commit
  const manifest: RunManifest = {
    format: 'scratchgpt-run',
    version: 1,
    ...task,
    precision: snapshot.state.settings.precision ?? 'f32',
    ...(baseWeights !== 'f32' ? { baseWeights } : {}),
    step,
    checkpoint: relative,
  };
  await writeFileAtomic(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  // 3. tidying: the previous checkpoint, and the top-level copy of the weights
  if (previous != null && previous.checkpoint !== relative) {
    await rm(join(directory, previous.checkpoint), { recursive: true, force: true });
  }
  for (const file of await modelFiles(target))
    await replaceWithLink(join(target, file), join(directory, file));
  return directory;
}

async function currentManifest(directory: string): Promise<RunManifest | undefined> {
  const contents = await inspectDirectory(directory, '--out');
  return contents.kind === 'run' ? contents.manifest : undefined;
}

/** Points `destination` at `source`'s data, atomically: a hard link where the file system has them. */
async function replaceWithLink(source: string, destination: string): Promise<void> {
  const temporary = temporaryPath(destination);
  try {
    await link(source, temporary);
  } catch {
    await copyFile(source, temporary);
  }
  await renameIntoPlace(temporary, destination);
}

export interface LoadedRun extends LoadedModel {
  /** Present when the directory is a run: where to continue from, and how its data was batched. */
  resume?: { snapshot: TrainingSnapshot; manifest: RunManifest };
}

/** The training state of a run's current checkpoint (host data only: no backend needed). */
export async function readRunState(directory: string, manifest: RunManifest): Promise<TrainingSnapshot> {
  const path = join(directory, manifest.checkpoint, TRAINING_STATE_FILE);
  if (!existsSync(path)) {
    throw new CommandError(
      `${join(directory, MANIFEST_FILE)} names ${manifest.checkpoint}, which has no ${TRAINING_STATE_FILE}: the run cannot resume; train on from its weights with --model ${join(directory, manifest.checkpoint)} --out NEW_DIR`,
    );
  }
  const weights = await stat(join(directory, manifest.checkpoint, WEIGHTS_FILE)).catch(() => ({ size: 0 }));
  const bytes = await readDirectoryFile(path, '--model', companionFileLimit(weights.size));
  let snapshot: TrainingSnapshot;
  try {
    snapshot = parseTrainingState(bytes, path);
  } catch (error) {
    if (error instanceof TrainingStateError) throw new CommandError(error.message);
    throw error;
  }
  if (snapshot.state.step !== manifest.step) {
    throw new CommandError(
      `${directory} is inconsistent: ${MANIFEST_FILE} says step ${manifest.step} but ${path} is from step ${snapshot.state.step}`,
    );
  }
  return snapshot;
}

/** Loads a run's current checkpoint with its training state, or a plain checkpoint directory. */
export async function loadRun(
  directory: string,
  contents: DirectoryContents,
  adapters: AdapterUse = 'merge',
): Promise<LoadedRun> {
  if (contents.kind !== 'run') return loadModelDirectory(directory, contents);
  const { manifest } = contents;
  const snapshot = await readRunState(directory, manifest);
  const loaded = await loadCheckpointDirectory(join(directory, manifest.checkpoint), adapters);
  const weightsStep = loaded.metadata.step;
  if (weightsStep !== String(manifest.step)) {
    throw new CommandError(
      `${directory} is inconsistent: ${MANIFEST_FILE} says step ${manifest.step} but the weights in ${manifest.checkpoint} are from step ${weightsStep ?? 'unknown'}`,
    );
  }
  return { ...loaded, resume: { snapshot, manifest } };
}

/** The weights a `--model DIR` names: a run's current checkpoint, or the directory's own files. */
export async function loadModelDirectory(
  directory: string,
  contents?: DirectoryContents,
  weightPrecision: StoragePrecision = 'f32',
): Promise<LoadedModel> {
  const found = contents ?? (await inspectDirectory(directory, '--model'));
  return loadCheckpointDirectory(modelFilesOf(directory, found), 'merge', weightPrecision);
}

/** Where the weights of `--model DIR` are, with a clear error where there are none. */
export function modelFilesOf(directory: string, contents: DirectoryContents): string {
  switch (contents.kind) {
    case 'run':
      return join(directory, contents.manifest.checkpoint);
    case 'checkpoint':
      return directory;
    case 'missing':
      throw new CommandError(`--model ${directory}: no such directory`);
    case 'incomplete-run':
      throw new CommandError(
        `--model ${directory} holds no complete checkpoint (its first save was interrupted): start the run again with --out ${directory}`,
      );
    case 'empty':
      throw new CommandError(
        `--model ${directory} holds no checkpoint: it needs ${CONFIG_FILE} and ${WEIGHTS_FILE} (or a run's ${MANIFEST_FILE})`,
      );
  }
}

/** Creates the directory a run writes to, with a clear error where it cannot be one. */
export async function prepareRunDirectory(directory: string): Promise<void> {
  try {
    await makeDirectory(join(directory, CHECKPOINTS));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a part of this path is a file'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT'
          ? 'the file system refuses to create it'
          : message;
    throw new CommandError(
      `--out ${directory}: cannot create the run directory (${why}); choose another --out`,
    );
  }
}

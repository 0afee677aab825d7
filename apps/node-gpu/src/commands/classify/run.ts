/**
 * Classifier checkpoints in run directories, written as `train` writes its runs (a step directory
 * filled, then committed by the manifest; crash-safe, resumable), and found again from `--model`: a
 * classifier run (its current checkpoint) or a classifier checkpoint directory.
 */
import { join } from 'node:path';
import {
  CLASSIFIER_SETTINGS_FILE,
  ClassifierFileError,
  type ClassifierSettings,
  type GPTClassifier,
  type LoadedClassifier,
  parseClassifierSettings,
} from '@scratchgpt/classifier';
import { isClassifierDirectory, loadClassifierDirectory, saveClassifier } from '@scratchgpt/classifier/node';
import { writeFileAtomic } from '@scratchgpt/files';
import { CheckpointError, ConfigError } from '@scratchgpt/gpt-model';
import { SafetensorsError } from '@scratchgpt/tensor';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { readDirectoryText } from '../../data.js';
import { CommandError } from '../../errors.js';
import { weightStorageOf } from '../../frozen-base.js';
import { parseJson } from '../../model-config.js';
import type { OpenModelBase } from '../../open-model-run.js';
import {
  type DirectoryContents,
  inspectDirectory,
  modelFilesOf,
  saveRunCheckpoint,
} from '../../run-directory.js';
import type { ClassifyManifest } from '../../run-manifest.js';

/**
 * An open family's classifier keeps, in every checkpoint, its model's config.json (so it rebuilds the
 * same family) and tokenizer files (so eval and predict read texts as training did).
 */
export async function saveClassifierRun(
  directory: string,
  model: GPTClassifier,
  settings: ClassifierSettings,
  snapshot: TrainingSnapshot,
  run: ClassifyRunSettings,
  open?: OpenModelBase,
): Promise<string> {
  const write = async (target: string, metadata: Record<string, string>) => {
    await saveClassifier(model, settings, target, {
      metadata,
      ...(open ? { configJson: open.configJson } : {}),
    });
    for (const [name, bytes] of open?.sideFiles ?? []) await writeFileAtomic(join(target, name), bytes);
  };
  return saveRunCheckpoint(directory, write, snapshot, { task: 'classify', run }, weightStorageOf(model));
}

/** Where `--model DIR` keeps a classifier, and the run it belongs to if it is one. */
export interface ClassifierLocation {
  /** The directory holding classifier.json and its files. */
  files: string;
  manifest?: ClassifyManifest;
}

export async function findClassifier(directory: string, command: string): Promise<ClassifierLocation> {
  const contents = await inspectDirectory(directory, '--model');
  if (contents.kind === 'run' && contents.manifest.task === 'classify') {
    return { files: join(directory, contents.manifest.checkpoint), manifest: contents.manifest };
  }
  const files = modelFilesOf(directory, contents);
  if (!(await isClassifierDirectory(files))) {
    throw new CommandError(
      `${command}: --model ${directory} is a GPT, not a classifier (it has no classifier.json): fine-tune one with 'scratchgpt classify train --model ${directory} --out DIR'`,
    );
  }
  return { files };
}

/** Whether a directory given as a base model is already a classifier (to train on from its weights). */
export async function holdsClassifier(directory: string, contents: DirectoryContents): Promise<boolean> {
  if (contents.kind === 'run') return contents.manifest.task === 'classify';
  return contents.kind === 'checkpoint' && isClassifierDirectory(directory);
}

/** Loads a classifier's files; a run's current checkpoint must be the step its manifest names. */
export async function loadClassifierFiles(location: ClassifierLocation): Promise<LoadedClassifier> {
  let loaded: LoadedClassifier;
  try {
    loaded = await loadClassifierDirectory(location.files);
  } catch (error) {
    if (
      error instanceof ClassifierFileError ||
      error instanceof CheckpointError ||
      error instanceof ConfigError ||
      error instanceof SafetensorsError ||
      (error as Error).name === 'AdapterError'
    ) {
      throw new CommandError((error as Error).message);
    }
    throw error;
  }
  const step = location.manifest?.step;
  if (step !== undefined && loaded.base.metadata.step !== String(step)) {
    loaded.classifier.dispose();
    throw new CommandError(
      `${location.files} is inconsistent: the run's manifest says step ${step} but its weights are from step ${loaded.base.metadata.step ?? 'unknown'}`,
    );
  }
  return loaded;
}

/** A classifier's classifier.json, read without loading any weights (to check the data first). */
export async function readClassifierSettings(files: string): Promise<ClassifierSettings> {
  const path = join(files, CLASSIFIER_SETTINGS_FILE);
  try {
    return parseClassifierSettings(parseJson(await readDirectoryText(path, '--model'), path), path);
  } catch (error) {
    if (error instanceof ClassifierFileError) {
      throw new CommandError(`${path}: ${error.message.replace(`${path}: `, '')}`);
    }
    throw error;
  }
}

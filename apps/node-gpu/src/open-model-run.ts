/**
 * Runs of the open families (Qwen3, Llama 3.2, Gemma 3): the same run directory as GPT's
 * (`run-directory.ts`: step directories, `checkpoint.json` as the commit point, the training state,
 * crash-safety), with each checkpoint in Hugging Face's layout, so the run's top is a checkpoint as a
 * download is:
 *
 *   DIR/checkpoints/step-000120/   config.json (the base's), model.safetensors (F32, Hugging Face
 *                                  names), the base's tokenizer files, training-state.safetensors,
 *                                  and adapter.safetensors when LoRA trains
 *   DIR/config.json, …             the current checkpoint's files again (hard links)
 *
 * With LoRA the frozen base weights are saved as they are and the updates alone beside them, as GPT
 * runs do; loading merges them for every command but the one that trains on.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicPieces } from '@scratchgpt/files';
import { ADAPTER_FILE, loraLayers, serializeAdapters } from '@scratchgpt/lora';
import {
  CONFIG_FILE,
  type DecoderConfig,
  type DecoderModel,
  familyOf,
  SINGLE_WEIGHTS_FILE,
  streamOpenModelCheckpoint,
} from '@scratchgpt/open-models';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import type { AdapterUse } from './checkpoint-directory.js';
import { readDirectoryFile } from './data.js';
import { CommandError, UsageError } from './errors.js';
import { weightStorageOf } from './frozen-base.js';
import { parseJson } from './model-config.js';
import { loadOpenModelFiles, openModelConfigOf } from './open-model-directory.js';
import {
  type DirectoryContents,
  MANIFEST_FILE,
  modelFilesOf,
  readRunState,
  saveRunCheckpoint,
  withAdaptersDetached,
} from './run-directory.js';
import type { RunManifest, RunTask } from './run-manifest.js';

/** The files beside the weights that say how to tokenize and generate; copied into every checkpoint. */
export const TOKENIZER_SIDE_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'special_tokens_map.json',
] as const;

/** Tokenizer files are megabytes (Gemma 3's tokenizer.json is about 33 MB); a larger one is not one. */
const MAX_SIDE_FILE_BYTES = 64 * 2 ** 20;

/** What a run keeps of the model it started from: its config.json and its tokenizer files. */
export interface OpenModelBase {
  /** The config.json the model was built from, written into every checkpoint. */
  configJson: unknown;
  /** The tokenizer side files the base had (name → bytes), written into every checkpoint. */
  sideFiles: ReadonlyMap<string, Uint8Array>;
}

export interface LoadedOpenRun extends OpenModelBase {
  model: DecoderModel;
  /** The directory the weights were read from: the run's current step directory, or DIR itself. */
  files: string;
  /** Present when the directory is a run: where to continue from, and how its data was batched. */
  resume?: { snapshot: TrainingSnapshot; manifest: RunManifest };
}

/** Whether `--model DIR` (a run or a checkpoint) holds an open-family model rather than a GPT. */
export async function isOpenModelDirectory(directory: string, contents: DirectoryContents): Promise<boolean> {
  if (contents.kind !== 'run' && contents.kind !== 'checkpoint') return false;
  return (await openModelConfigOf(modelFilesOf(directory, contents))) !== undefined;
}

/** A checkpoint directory's config.json and the tokenizer files it has, each read within its bound. */
export async function readOpenModelBase(files: string): Promise<OpenModelBase> {
  const configPath = join(files, CONFIG_FILE);
  const configJson = parseJson(
    new TextDecoder().decode(await readDirectoryFile(configPath, '--model')),
    configPath,
  );
  const sideFiles = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_SIDE_FILES) {
    const path = join(files, name);
    if (existsSync(path)) sideFiles.set(name, await readDirectoryFile(path, '--model', MAX_SIDE_FILE_BYTES));
  }
  return { configJson, sideFiles };
}

/** The decoder config a checkpoint's config.json describes, read without its weights. */
export async function readOpenDecoder(files: string): Promise<DecoderConfig> {
  const { configJson } = await readOpenModelBase(files);
  try {
    return familyOf(configJson).decoder(configJson);
  } catch (error) {
    throw new CommandError(`--model ${files}: ${(error as Error).message}`);
  }
}

/** The model's own context by default; a smaller --context may be asked for, never a larger one. */
export function openWindowLength(decoder: DecoderConfig, requested: number | undefined): number {
  if (requested === undefined) return decoder.contextLength;
  if (requested > decoder.contextLength) {
    throw new UsageError(
      `--context ${requested} is larger than this ${decoder.family} model's context length ${decoder.contextLength}`,
    );
  }
  return requested;
}

/**
 * Loads an open model's run (its current checkpoint with its training state) or checkpoint directory.
 * A checkpoint with `adapter.safetensors` loads with its LoRA updates merged (`merge`), or kept apart
 * to train on (`keep`).
 */
export async function loadOpenRun(
  directory: string,
  contents: DirectoryContents,
  adapters: AdapterUse = 'merge',
): Promise<LoadedOpenRun> {
  const files = modelFilesOf(directory, contents);
  const base = await readOpenModelBase(files);
  const resume =
    contents.kind === 'run'
      ? { snapshot: await readRunState(directory, contents.manifest), manifest: contents.manifest }
      : undefined;
  const { model, metadata } = await loadOpenModelFiles(files, adapters);
  if (resume && metadata.step !== String(resume.manifest.step)) {
    model.dispose();
    throw new CommandError(
      `${directory} is inconsistent: ${MANIFEST_FILE} says step ${resume.manifest.step} but the weights in ${resume.manifest.checkpoint} are from step ${metadata.step ?? 'unknown'}`,
    );
  }
  return { ...base, model, files, ...(resume ? { resume } : {}) };
}

/**
 * Saves an open model and its training state as the run's new current checkpoint (`saveRun` for
 * these families); returns the run directory. A model carrying LoRA updates is saved as its frozen
 * weights plus `adapter.safetensors`.
 */
export async function saveOpenRun(
  directory: string,
  model: DecoderModel,
  base: OpenModelBase,
  snapshot: TrainingSnapshot,
  task: RunTask,
): Promise<string> {
  const write = async (target: string, metadata: Record<string, string>) => {
    await mkdir(target, { recursive: true });
    const saveWeights = async () => {
      const { config, weights } = streamOpenModelCheckpoint(model, base.configJson, { metadata });
      // Weights first, tensor by tensor: a config.json beside them then means both are complete.
      await writeFileAtomicPieces(join(target, SINGLE_WEIGHTS_FILE), weights);
      await writeFileAtomic(join(target, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
    };
    if (loraLayers(model).size === 0) {
      await saveWeights();
    } else {
      await withAdaptersDetached(model, saveWeights);
      await writeFileAtomic(join(target, ADAPTER_FILE), await serializeAdapters(model));
    }
    for (const [name, bytes] of base.sideFiles) await writeFileAtomic(join(target, name), bytes);
  };
  return saveRunCheckpoint(directory, write, snapshot, task, weightStorageOf(model));
}

/**
 * Classifier checkpoint directories on disk (Node only): the files of `serializeClassifier`, each
 * written atomically, and read back with errors that name the file.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKindError, readRegularFile, writeFileAtomic } from '@scratchgpt/files';
import { countParameters, parseConfigJson } from '@scratchgpt/gpt-model';
import {
  CONFIG_FILE,
  companionFileLimit,
  MAX_JSON_FILE_BYTES,
  WEIGHTS_FILE,
} from '@scratchgpt/gpt-model/node';
import { assertOpenModelFits, countDecoderParameters } from '@scratchgpt/open-models';
import { parseStrictJson } from '@scratchgpt/tensor';
import {
  ADAPTER_FILE,
  CLASSIFIER_SETTINGS_FILE,
  HEAD_FILE,
  type LoadedClassifier,
  loadClassifier,
  type SerializeClassifierOptions,
  serializeClassifier,
} from './checkpoint/files.js';
import { isOpenModelConfig } from './checkpoint/open-config.js';
import { ClassifierFileError, type ClassifierSettings } from './checkpoint/settings.js';
import type { GPTClassifier } from './model/gpt-classifier.js';

export { ADAPTER_FILE, CLASSIFIER_SETTINGS_FILE, HEAD_FILE };

/** Writes the classifier into `directory` (created if needed); returns the files written. */
export async function saveClassifier(
  classifier: GPTClassifier,
  settings: ClassifierSettings,
  directory: string,
  options: SerializeClassifierOptions = {},
): Promise<string[]> {
  const files = await serializeClassifier(classifier, settings, options);
  await mkdir(directory, { recursive: true });
  const written: Array<[string, Uint8Array | string]> = [
    [WEIGHTS_FILE, files.weights],
    [HEAD_FILE, files.head],
    ...(files.adapters ? ([[ADAPTER_FILE, files.adapters]] as Array<[string, Uint8Array]>) : []),
    [CLASSIFIER_SETTINGS_FILE, json(files.settings)],
    [CONFIG_FILE, json(files.config)],
  ];
  for (const [name, data] of written) await writeFileAtomic(join(directory, name), data);
  return written.map(([name]) => name);
}

/** Whether a directory holds a classifier (its `classifier.json`), as opposed to a plain GPT. */
export async function isClassifierDirectory(directory: string): Promise<boolean> {
  return stat(join(directory, CLASSIFIER_SETTINGS_FILE)).then(
    () => true,
    () => false,
  );
}

export async function loadClassifierDirectory(directory: string): Promise<LoadedClassifier> {
  const path = (name: string) => join(directory, name);
  const settingsBytes = await read(directory, CLASSIFIER_SETTINGS_FILE, MAX_JSON_FILE_BYTES, true);
  const settings = parseJson(settingsBytes, path(CLASSIFIER_SETTINGS_FILE));
  const config = parseJson(await read(directory, CONFIG_FILE, MAX_JSON_FILE_BYTES), path(CONFIG_FILE));
  const weights = await read(directory, WEIGHTS_FILE, weightsLimit(config));
  const companion = companionFileLimit(weights.byteLength);
  const lora = (settings as { lora?: unknown } | null)?.lora;
  return loadClassifier({
    config,
    settings,
    weights,
    head: await read(directory, HEAD_FILE, companion),
    ...(lora != null ? { adapters: await read(directory, ADAPTER_FILE, companion) } : {}),
    sources: {
      config: path(CONFIG_FILE),
      weights: path(WEIGHTS_FILE),
      head: path(HEAD_FILE),
      settings: path(CLASSIFIER_SETTINGS_FILE),
      adapters: path(ADAPTER_FILE),
    },
  });
}

/** Node reads at most 2 GiB into one buffer. */
const MAX_WHOLE_FILE_BYTES = 2 ** 31 - 1;

/**
 * The most `model.safetensors` may take beside `config` (it is read whole): every parameter as F64,
 * and a header. A file far larger than its config allows is refused before it is read.
 */
function weightsLimit(config: unknown): number {
  let parameters: number;
  try {
    parameters = isOpenModelConfig(config)
      ? countDecoderParameters({ ...assertOpenModelFits(config), tieEmbeddings: false })
      : countParameters({ ...parseConfigJson(config).config, tieWeights: false }).total;
  } catch {
    return MAX_WHOLE_FILE_BYTES; // loading names what is wrong with the config
  }
  return Math.min(MAX_WHOLE_FILE_BYTES, parameters * 8 + 16 * 1024 * 1024);
}

async function read(
  directory: string,
  name: string,
  maxBytes: number,
  defining = false,
): Promise<Uint8Array> {
  try {
    return await readRegularFile(join(directory, name), maxBytes);
  } catch (error) {
    if (error instanceof FileKindError) throw new ClassifierFileError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ClassifierFileError(
        defining
          ? `${directory} holds no ${name}: it is not a classifier (fine-tune one from it first)`
          : `${directory} has ${CLASSIFIER_SETTINGS_FILE} but no ${name}: the classifier is incomplete`,
      );
    }
    throw new ClassifierFileError(`${join(directory, name)}: ${(error as Error).message}`);
  }
}

function parseJson(bytes: Uint8Array, source: string): unknown {
  try {
    return parseStrictJson(new TextDecoder().decode(bytes), { maxDepth: 16 });
  } catch (error) {
    throw new ClassifierFileError(`${source} is not valid JSON (${(error as Error).message})`);
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  type GPTConfig,
  isPresetName,
  parseConfigJson,
  preset,
  presets,
  validateConfig,
} from '@scratchgpt/gpt-model';
import { CONFIG_FILE } from '@scratchgpt/gpt-model/node';
import { parseStrictJson } from '@scratchgpt/tensor';
import { readDirectoryText, readText } from './data.js';
import { CommandError, UsageError } from './errors.js';

/** `--config NAME` (a preset) or `--config FILE.json` (book, Hugging Face or scratchgpt keys). */
export async function resolveConfig(value: string): Promise<GPTConfig> {
  if (isPresetName(value)) return preset(value);
  if (!value.endsWith('.json') && !existsSync(value)) {
    throw new UsageError(
      `--config: unknown preset '${value}'; use one of ${Object.keys(presets).join(', ')} or a .json file`,
    );
  }
  const json = parseJson(await readText(value, '--config'), `--config ${value}`);
  try {
    if (json !== null && typeof json === 'object' && 'embDim' in json)
      return validateConfig(json as GPTConfig);
    return parseConfigJson(json, value).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * The window length every command trains, evaluates or benchmarks on: `--context N`, or the model's
 * context length; never more than it (the one place this bound is checked).
 */
export function windowLength(config: GPTConfig, requested: number | undefined): number {
  if (requested === undefined) return config.contextLength;
  if (requested > config.contextLength) {
    throw new UsageError(
      `--context ${requested} is larger than the model's context length ${config.contextLength}`,
    );
  }
  return requested;
}

/** A checkpoint directory's config.json, read without its weights (to check sizes before loading). */
export async function readConfigOf(directory: string): Promise<GPTConfig> {
  const path = join(directory, CONFIG_FILE);
  const text = await readDirectoryText(path, '--model');
  try {
    return parseConfigJson(parseJson(text, path), path).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * A small JSON file the user may have edited: duplicate keys and deep nesting refused, and the error
 * names a position instead of quoting the text (which may span lines).
 */
export function parseJson(text: string, path: string): unknown {
  try {
    return parseStrictJson(text, { maxDepth: 16 });
  } catch (error) {
    throw new CommandError(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

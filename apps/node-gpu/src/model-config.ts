import { existsSync } from 'node:fs';
import {
  ConfigError,
  type GPTConfig,
  isPresetName,
  parseConfigJson,
  preset,
  presets,
  validateConfig,
} from '@scratchgpt/gpt-model';
import { readText } from './data.js';
import { CommandError, UsageError } from './errors.js';

/** `--config NAME` (a preset) or `--config FILE.json` (book, Hugging Face or scratchgpt keys). */
export async function resolveConfig(value: string): Promise<GPTConfig> {
  if (isPresetName(value)) return preset(value);
  if (!value.endsWith('.json') && !existsSync(value)) {
    throw new UsageError(
      `--config: unknown preset '${value}'; use one of ${Object.keys(presets).join(', ')} or a .json file`,
    );
  }
  const text = await readText(value, '--config');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CommandError(`--config ${value} is not valid JSON (${(error as Error).message})`);
  }
  try {
    if (json !== null && typeof json === 'object' && 'embDim' in json)
      return validateConfig(json as GPTConfig);
    return parseConfigJson(json, value).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
}

/** The window length to train or evaluate on: at most the model's context. */
export function contextFor(config: GPTConfig, requested: number | undefined): number {
  if (requested === undefined) return config.contextLength;
  if (requested > config.contextLength) {
    throw new UsageError(
      `--context ${requested} is larger than the model's context length ${config.contextLength}`,
    );
  }
  return requested;
}

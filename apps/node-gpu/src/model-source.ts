/**
 * `--model` as a checkpoint directory or a Hugging Face Hub id (`gpt2`, `owner/name@revision`): the one
 * place an id becomes a directory, downloading into the Hugging Face cache with a progress bar, and
 * where a model is checked against the backend's memory before any of it is loaded.
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import {
  ConfigError,
  checkModelFits,
  currentMemoryBudget,
  type GPTConfig,
  type MemoryBudget,
  ModelTooLargeError,
  type ModelUse,
  parseConfigJson,
  type RunShape,
} from '@scratchgpt/gpt-model';
import { HubError, looksLikeModelId } from '@scratchgpt/hub';
import { downloadModel } from '@scratchgpt/hub/node';
import { currentBackend } from '@scratchgpt/tensor';
import { DownloadBar } from './download-progress.js';
import { CommandError } from './errors.js';
import type { Output } from './output.js';

export interface ModelSourceOptions {
  output?: Output;
  /** What the model is loaded for, which decides the memory it needs (default generate). */
  use?: ModelUse;
  run?: RunShape;
}

export function isHubModel(value: string): boolean {
  return !existsSync(value) && looksLikeModelId(value);
}

/** The checkpoint directory `--model` names: the value itself, or the Hub model's cached snapshot. */
export async function resolveModelSource(value: string, options: ModelSourceOptions = {}): Promise<string> {
  if (existsSync(value)) return value;
  if (!looksLikeModelId(value)) throw new CommandError(`--model ${value}: no such directory`);
  const bar = new DownloadBar(options.output?.isTTY === true);
  try {
    const model = await downloadModel(value, {
      onProgress: bar.update,
      beforeWeights: (config) => checkModelMemory(config, value, options),
      ...(options.output ? { onNote: options.output.note } : {}),
    });
    return model.directory;
  } catch (error) {
    if (error instanceof HubError)
      throw new CommandError(`--model ${value}: ${hubAdvice(error, value, { maybePath: true })}`);
    throw error;
  } finally {
    bar.done();
  }
}

/**
 * A Hub failure, read as the answer to `--model VALUE`: a mistyped path may look like an id, and a
 * network failure says how to work without one.
 */
export function hubAdvice(error: HubError, value: string, options: { maybePath: boolean }): string {
  const cutOff = error.message.includes('run again to resume');
  const advice =
    error.code === 'network' && !cutOff
      ? `${error.message}; offline, set HF_HUB_OFFLINE=1 to use the Hugging Face cache, or put config.json and model.safetensors in a directory and pass it as --model DIR`
      : error.message;
  const pathLike = options.maybePath && value.includes('/');
  return pathLike && error.code !== 'integrity' && !cutOff
    ? `no such directory, and as a Hub model: ${advice}`
    : advice;
}

/** Refuses, before loading, a model the backend's memory cannot hold; says what would fit. */
export function checkModelMemory(configJson: unknown, name: string, options: ModelSourceOptions = {}): void {
  let config: GPTConfig;
  try {
    config = parseConfigJson(configJson).config;
  } catch (error) {
    if (error instanceof ConfigError) return; // the loader names the problem with the file's path
    throw error;
  }
  checkConfigMemory(config, name, options);
}

/** {@link checkModelMemory} for a config in hand (a new model of a preset). */
export function checkConfigMemory(config: GPTConfig, name: string, options: ModelSourceOptions = {}): void {
  try {
    checkModelFits(config, options.use ?? 'generate', memoryBudget(), {
      ...options.run,
      name,
      otherBackends: '--backend webgpu or cpu',
    });
  } catch (error) {
    if (error instanceof ModelTooLargeError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * The ceiling of the backend in use: wasm's heap; on cpu, where tensors live in this process, the
 * machine's memory. A GPU's memory is not reported (WebGPU, CUDA through TF.js): no ceiling is known.
 */
export function memoryBudget(): MemoryBudget | null {
  const budget = currentMemoryBudget();
  if (budget !== null || currentBackend()?.backend !== 'cpu') return budget;
  const bytes = totalmem();
  return { bytes, description: `this machine's ${(bytes / 2 ** 30).toFixed(0)} GiB of memory` };
}

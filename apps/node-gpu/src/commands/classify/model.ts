/**
 * What the classify commands need to know of a model before loading its weights: a GPT (GPT-2's
 * tokenizer, its config for the memory check) or an open family's (Qwen3, Llama 3.2, Gemma 3: its own
 * tokenizer.json, and its config.json and tokenizer files, which every checkpoint of the run keeps so
 * that it rebuilds the same family and tokenizes as it was trained).
 */
import type { GPTConfig, MemoryUse } from '@scratchgpt/gpt-model';
import { type DecoderConfig, familyOf } from '@scratchgpt/open-models';
import { HFTokenizerFileError, type Tokenizer } from '@scratchgpt/tokenizer';
import { loadHFTokenizerFromDirectory } from '@scratchgpt/tokenizer/node';
import { CommandError } from '../../errors.js';
import { checkMemory } from '../../memory-check.js';
import { readConfigOf } from '../../model-config.js';
import { checkOpenModelFits, openModelConfigOf } from '../../open-model-directory.js';
import { type OpenModelBase, readOpenModelBase } from '../../open-model-run.js';
import { gpt2 } from '../../text-helpers.js';

export type ClassifyModel =
  | { kind: 'gpt'; config: GPTConfig; contextLength: number; embDim: number; tokenizer: Tokenizer }
  | { kind: 'open'; base: OpenModelBase; contextLength: number; embDim: number; tokenizer: Tokenizer };

/** The model whose files are in `directory` (a checkpoint, or a run's current step). */
export async function describeModel(directory: string): Promise<ClassifyModel> {
  const configJson = await openModelConfigOf(directory);
  if (configJson === undefined) return gptModel(await readConfigOf(directory));
  let decoder: DecoderConfig;
  try {
    decoder = familyOf(configJson).decoder(configJson);
  } catch (error) {
    throw new CommandError(`--model ${directory}: ${(error as Error).message}`);
  }
  const { contextLength, embDim } = decoder;
  let tokenizer: Tokenizer;
  try {
    tokenizer = await loadHFTokenizerFromDirectory(directory);
  } catch (error) {
    if (!(error instanceof HFTokenizerFileError)) throw error;
    throw new CommandError(`${error.message}: classify reads texts with the model's own tokenizer`);
  }
  return { kind: 'open', base: await readOpenModelBase(directory), contextLength, embDim, tokenizer };
}

/** A GPT of `config`, read with GPT-2's tokenizer. */
export function gptModel(config: GPTConfig): ClassifyModel {
  const { contextLength, embDim } = config;
  return { kind: 'gpt', config, contextLength, embDim, tokenizer: gpt2() };
}

/**
 * Refuses, once the backend has started and before any weight is allocated, a model it cannot hold:
 * a GPT with its activations and optimizer state, an open family by its weights.
 */
export function checkModelMemory(model: ClassifyModel, use: Omit<MemoryUse, 'hostMoments'>): void {
  if (model.kind === 'gpt') checkMemory(model.config, use);
  else checkOpenModelFits(model.base.configJson, '--model');
}

/**
 * The models a server holds, loaded once at start: each under a name (the directory's base name, the
 * Hub id, or NAME from `--model NAME=DIR`), with the prompt format that makes it a chat model. An
 * instruction-tuning run brings its own format; a plain GPT continues text and serves completions only.
 * A Qwen3, Llama 3.2 or Gemma 3 checkpoint brings its tokenizer, its chat template and its stop ids.
 */
import { basename, resolve } from 'node:path';
import { countParameters, type GenerativeModel } from '@scratchgpt/gpt-model';
import { type PromptFormat, promptFormat } from '@scratchgpt/instruct';
import { countDecoderParameters } from '@scratchgpt/open-models';
import type { StoragePrecision } from '@scratchgpt/tensor';
import { GPT2_EOT_ID, GPT2_VOCAB_SIZE, type Tokenizer } from '@scratchgpt/tokenizer';
import { refuseClassifier } from '../classifier-guard.js';
import type { CommandContext } from '../commands/context.js';
import { CommandError, UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { isHubModel, resolveModelSource } from '../model-source.js';
import { openChatModel } from '../open-model-chat.js';
import { loadOpenModelDirectory, openModelConfigOf } from '../open-model-directory.js';
import { storeModelWeights } from '../precision-flag.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { gpt2 } from '../text-helpers.js';

export interface ServedModel {
  name: string;
  /** The directory or Hub id it came from. */
  source: string;
  model: GenerativeModel;
  config: { vocabSize: number; contextLength: number };
  /** Ollama's family: `gpt2`, else config.json's `model_type` (`qwen3`, `llama`, `gemma3_text`). */
  family: string;
  tokenizer: Tokenizer;
  /** Ids before a completion's prompt: the BOS of a tokenizer that has one. */
  promptPrefix: readonly number[];
  /** Ids that end an answer (left out of it). */
  stopIds: readonly number[];
  /** How a conversation is written for it; none for a plain GPT or an open model without a template. */
  format: PromptFormat | undefined;
  parameters: number;
  /** When it was loaded, in Unix seconds (OpenAI's `created`). */
  loadedAt: number;
}

/** `NAME=SOURCE` or `SOURCE`; a name is letters, digits and `._:-`, so paths and Hub ids pass whole. */
export function parseModelSpec(spec: string): { name: string; source: string } {
  const named = /^([\w.:-]+)=(.+)$/.exec(spec);
  if (named) return { name: named[1]!, source: named[2]! };
  if (spec === '') throw new UsageError('serve: --model is empty: give a directory, a Hub id or NAME=DIR');
  const name = isHubModel(spec) ? spec : basename(resolve(spec));
  return { name, source: spec };
}

/** How every served model is loaded: its prompt format where it has none of its own, its precision. */
export interface ServedModelSettings {
  chatFormat: string | undefined;
  precision: StoragePrecision;
}

export async function loadServedModels(
  specs: readonly string[],
  settings: ServedModelSettings,
  context: CommandContext,
): Promise<ServedModel[]> {
  const wanted = specs.map(parseModelSpec);
  const seen = new Set<string>();
  for (const { name } of wanted) {
    if (seen.has(name))
      throw new UsageError(`serve: two models are named '${name}': name them apart with --model NAME=DIR`);
    seen.add(name);
  }
  const served: ServedModel[] = [];
  for (const { name, source } of wanted) served.push(await loadServedModel(name, source, settings, context));
  return served;
}

async function loadServedModel(
  name: string,
  source: string,
  settings: ServedModelSettings,
  context: CommandContext,
): Promise<ServedModel> {
  const directory = await resolveModelSource(source, context, settings.precision);
  const openConfig = await openModelConfigOf(directory);
  if (openConfig !== undefined)
    return loadOpenServedModel(name, source, directory, openConfig, settings, context);
  const contents = await inspectDirectory(directory, '--model');
  refuseClassifier(directory, contents, 'classify predict --model DIR TEXT');
  const config = await readConfigOf(modelFilesOf(directory, contents));
  if (config.vocabSize < GPT2_VOCAB_SIZE) {
    throw new CommandError(
      `--model ${source} has a vocabulary of ${config.vocabSize}: the server reads and writes GPT-2 tokens (${GPT2_VOCAB_SIZE})`,
    );
  }
  const run = contents.kind === 'run' ? contents.manifest : undefined;
  const formatName = run?.task === 'instruct' ? run.instruct.promptFormat : settings.chatFormat;
  await context.startBackend();
  checkMemory(
    config,
    { batchSize: 1, tokens: config.contextLength, training: false, baseWeights: settings.precision },
    source,
  );
  const { model } = await loadModelDirectory(directory, contents, settings.precision);
  await storeModelWeights(model, settings.precision);
  return {
    name,
    source,
    model,
    config,
    family: 'gpt2',
    tokenizer: gpt2(),
    promptPrefix: [],
    stopIds: [GPT2_EOT_ID],
    format: formatName === undefined ? undefined : promptFormat(formatName),
    parameters: countParameters(config).total,
    loadedAt: Math.floor(Date.now() / 1000),
  };
}

/** A Qwen3, Llama 3.2 or Gemma 3 checkpoint: a chat model when it has a template (or `--format`). */
async function loadOpenServedModel(
  name: string,
  source: string,
  directory: string,
  configJson: unknown,
  settings: ServedModelSettings,
  context: CommandContext,
): Promise<ServedModel> {
  const { tokenizer, format, stopIds } = await openChatModel(directory, configJson, {
    format: settings.chatFormat,
    thinking: false,
    requireFormat: false,
  });
  await context.startBackend();
  const model = await loadOpenModelDirectory(directory, settings.precision);
  await storeModelWeights(model, settings.precision);
  return {
    name,
    source,
    model,
    config: model.config,
    family: String((configJson as { model_type: unknown }).model_type),
    tokenizer,
    promptPrefix: tokenizer.bosId === null ? [] : [tokenizer.bosId],
    stopIds,
    format,
    parameters: countDecoderParameters(model.config),
    loadedAt: Math.floor(Date.now() / 1000),
  };
}

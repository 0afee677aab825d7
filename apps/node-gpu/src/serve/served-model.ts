/**
 * The models a server holds, loaded once at start: each under a name (the directory's base name, the
 * Hub id, or NAME from `--model NAME=DIR`), with the prompt format that makes it a chat model. An
 * instruction-tuning run brings its own format; a plain GPT continues text and serves completions only.
 */
import { basename, resolve } from 'node:path';
import { countParameters, type GPTConfig, type GPTModel } from '@scratchgpt/gpt-model';
import { type PromptFormat, promptFormat } from '@scratchgpt/instruct';
import { GPT2_VOCAB_SIZE } from '@scratchgpt/tokenizer';
import { refuseClassifier } from '../classifier-guard.js';
import type { CommandContext } from '../commands/context.js';
import { CommandError, UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { isHubModel, resolveModelSource } from '../model-source.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';

export interface ServedModel {
  name: string;
  /** The directory or Hub id it came from. */
  source: string;
  model: GPTModel;
  config: GPTConfig;
  /** How a conversation is written for it; none for a plain GPT. */
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

export async function loadServedModels(
  specs: readonly string[],
  chatFormat: string | undefined,
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
  for (const { name, source } of wanted)
    served.push(await loadServedModel(name, source, chatFormat, context));
  return served;
}

async function loadServedModel(
  name: string,
  source: string,
  chatFormat: string | undefined,
  context: CommandContext,
): Promise<ServedModel> {
  const directory = await resolveModelSource(source, context);
  const contents = await inspectDirectory(directory, '--model');
  refuseClassifier(directory, contents, 'classify predict --model DIR TEXT');
  const config = await readConfigOf(modelFilesOf(directory, contents));
  if (config.vocabSize < GPT2_VOCAB_SIZE) {
    throw new CommandError(
      `--model ${source} has a vocabulary of ${config.vocabSize}: the server reads and writes GPT-2 tokens (${GPT2_VOCAB_SIZE})`,
    );
  }
  const run = contents.kind === 'run' ? contents.manifest : undefined;
  const formatName = run?.task === 'instruct' ? run.instruct.promptFormat : chatFormat;
  await context.startBackend();
  checkMemory(config, { batchSize: 1, tokens: config.contextLength, training: false }, source);
  const { model } = await loadModelDirectory(directory, contents);
  return {
    name,
    source,
    model,
    config,
    format: formatName === undefined ? undefined : promptFormat(formatName),
    parameters: countParameters(config).total,
    loadedAt: Math.floor(Date.now() / 1000),
  };
}

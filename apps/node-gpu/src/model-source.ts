/**
 * `--model` as a checkpoint directory or a Hugging Face Hub id (`gpt2`, `owner/name@revision`): the one
 * place an id becomes a directory, downloading what the Hugging Face cache lacks, with a progress bar
 * on a terminal. A directory that exists is taken as it is. For an id the backend starts first, so a
 * model its memory cannot hold is refused from its config.json before gigabytes of weights download.
 */
import { existsSync } from 'node:fs';
import { ConfigError, parseConfigJson } from '@scratchgpt/gpt-model';
import { HubError, looksLikeModelId } from '@scratchgpt/hub';
import { downloadModel } from '@scratchgpt/hub/node';
import type { StoragePrecision } from '@scratchgpt/tensor';
import type { CommandContext } from './commands/context.js';
import { DownloadBar } from './download-progress.js';
import { CommandError } from './errors.js';
import { checkMemory } from './memory-check.js';
import { checkOpenModelFits, isOpenModelConfig } from './open-model-directory.js';

export function isHubModel(value: string): boolean {
  return !existsSync(value) && looksLikeModelId(value);
}

/** The checkpoint directory `--model VALUE` names: VALUE itself, or the Hub model's cached snapshot. */
export async function resolveModelSource(
  value: string,
  context: CommandContext,
  weightPrecision: StoragePrecision = 'f32',
): Promise<string> {
  if (!isHubModel(value)) return value;
  await context.startBackend();
  const bar = new DownloadBar(context.output.isTTY);
  try {
    const model = await downloadModel(value, {
      onProgress: bar.update,
      onNote: context.output.note,
      beforeWeights: (config) => checkWeightsFit(config, value, weightPrecision),
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
 * The weights alone must fit (an open model's in the precision it will be stored in); each command
 * then checks its own use (batch, context, training).
 */
function checkWeightsFit(configJson: unknown, name: string, weightPrecision: StoragePrecision): void {
  if (isOpenModelConfig(configJson, `config.json of ${name}`)) {
    checkOpenModelFits(configJson, name, weightPrecision);
    return;
  }
  try {
    const { config } = parseConfigJson(configJson, `config.json of ${name}`);
    checkMemory(config, { batchSize: 1, tokens: 1, training: false, baseWeights: weightPrecision }, name);
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * A Hub failure, read as the answer to `--model VALUE` or `download VALUE`: a mistyped path may look
 * like an id, and a network failure says how to work without one.
 */
export function hubAdvice(error: HubError, value: string, options: { maybePath: boolean }): string {
  const cutOff = error.message.includes('run again to resume');
  const advice =
    error.code === 'network' && !cutOff
      ? `${error.message}; offline, set HF_HUB_OFFLINE=1 to use the Hugging Face cache, or put config.json and model.safetensors in a directory and pass it as --model DIR`
      : error.message;
  const pathLike = options.maybePath && value.includes('/');
  const aboutTheHub = error.code !== 'integrity' && error.code !== 'invalid-setting';
  return pathLike && aboutTheHub && !cutOff ? `no such directory, and as a Hub model: ${advice}` : advice;
}

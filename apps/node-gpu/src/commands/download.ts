import { HubError, parseModelId } from '@scratchgpt/hub';
import { downloadModel, MAX_TIMEOUT_SECONDS, parseTimeoutSeconds } from '@scratchgpt/hub/node';
import { DownloadBar, formatBytes } from '../download-progress.js';
import { CommandError, UsageError } from '../errors.js';
import { hubAdvice } from '../model-source.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

export const download = defineCommand({
  summary: 'fetch a model from the Hugging Face Hub into its cache',
  description: `Fetches a model from the Hugging Face Hub into the Hugging Face cache without running it, with a
progress bar on a terminal. ID: gpt2, gpt2-medium, gpt2-large, gpt2-xl, owner/name[@revision] (a
GPT-2 config.json + model.safetensors), or rasbt/gpt2-from-scratch-pytorch[:gpt2-medium] (the book's
copies). A Qwen3, Llama or Gemma 3 repository comes with its tokenizer and generation files, and its
weights whole or in the shards model.safetensors.index.json names. An interrupted download resumes;
the files are checked against the Hub's sizes and SHA-256.
The cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (shared with Python).
HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE=1 and HF_HUB_DOWNLOAD_TIMEOUT are honoured.`,
  positionals: 'ID',
  flags: {
    // A string: the Hub's own reading of it (and of HF_HUB_DOWNLOAD_TIMEOUT) checks it.
    timeout: {
      type: 'string',
      value: 'SECONDS',
      defaultText: `$HF_HUB_DOWNLOAD_TIMEOUT, else 10; at most ${MAX_TIMEOUT_SECONDS}`,
      help: 'how long the Hub may stay silent, before it answers and within a download; a stalled download is retried, and otherwise resumes on the next run',
    },
  },
  notes:
    'With --json: {"id","repo","revision","commit","directory","files":[{"path","size","downloaded"}],"source"}.',
  async run({ timeout }, context, ids) {
    if (ids.length !== 1) throw new UsageError('download: give one model id, e.g. scratchgpt download gpt2');
    return runDownload(ids[0]!, timeout, context);
  },
});

async function runDownload(
  text: string,
  timeout: string | undefined,
  context: CommandContext,
): Promise<number> {
  const bar = new DownloadBar(context.output.isTTY);
  try {
    const id = parseModelId(text);
    const settings = timeout === undefined ? {} : { timeoutMs: parseTimeoutSeconds(timeout, '--timeout') };
    const model = await downloadModel(id, {
      settings,
      onProgress: bar.update,
      onNote: context.output.note,
    });
    bar.done();
    const fetched = model.files.filter((file) => file.downloaded).reduce((sum, file) => sum + file.size, 0);
    const result = {
      id: text,
      repo: id.repo,
      revision: id.revision,
      commit: model.commit,
      directory: model.directory,
      files: model.files,
      source: model.source,
    };
    context.output.result(
      result,
      () =>
        `${text} (${id.repo}@${model.commit.slice(0, 12)}): ${model.directory}\n` +
        `${model.files.length} files, ${fetched === 0 ? 'all already in the cache' : `${formatBytes(fetched)} downloaded`}`,
    );
    return 0;
  } catch (error) {
    bar.done();
    if (error instanceof HubError) {
      if (error.code === 'invalid-id' || (error.code === 'invalid-setting' && timeout !== undefined)) {
        throw new UsageError(`download: ${error.message}`);
      }
      throw new CommandError(`download ${text}: ${hubAdvice(error, text, { maybePath: false })}`);
    }
    throw error;
  }
}

import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { saveCheckpoint } from '@scratchgpt/gpt-model/node';
import { CommandError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { openCheckpointConfigOf } from '../open-model-directory.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { defineCommand } from './command.js';
import { convertOpenModel } from './convert-open-model.js';

export const convert = defineCommand({
  summary: 'rewrite a checkpoint in the hf or book layout',
  description: `Rewrites a checkpoint in the Hugging Face layout (what PyTorch loaders and transformers
read) or the book's: a state dict of its GPTModel, or of its Qwen3Model, Llama3Model or Gemma3Model
with the book's config dict. GPT-2, Qwen3, Llama 3.2 and Gemma 3 checkpoints convert from either
layout; F16/BF16 and sharded inputs become one F32 file. An open model's tokenizer files are copied.`,
  flags: {
    model: {
      type: 'string',
      value: 'DIR|ID',
      required: true,
      help: "a checkpoint or run directory (a run's current checkpoint is converted), or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]",
    },
    out: {
      type: 'string',
      value: 'DIR',
      required: true,
      help: 'where config.json and model.safetensors go',
    },
    layout: { type: 'string', choices: ['hf', 'book'], required: true, help: 'the layout to write' },
    force: { type: 'boolean', help: 'replace a checkpoint already in --out (default: refuse)' },
  },
  notes: 'With --json: {"from","to","fromLayout","layout","parameters"}, and "family" for an open model.',
  async run(values, context) {
    const { model: from, out: to, layout } = values;
    const fromDirectory = await resolveModelSource(from, context);
    if (resolve(fromDirectory) === resolve(to)) {
      throw new CommandError(
        `--out ${to} is the --model directory: write the converted checkpoint elsewhere`,
      );
    }
    const open = await openCheckpointConfigOf(fromDirectory);
    if (open) {
      await clearOut(to, values.force === true);
      const { configJson, layout: fromLayout } = open;
      return convertOpenModel({ from, fromDirectory, fromLayout, configJson, to, layout }, context);
    }
    const source = await inspectDirectory(fromDirectory, '--model');
    const config = await readConfigOf(modelFilesOf(fromDirectory, source));
    await clearOut(to, values.force === true);

    await context.startBackend();
    checkMemory(config, { batchSize: 1, tokens: 1, training: false });
    const loaded = await loadModelDirectory(fromDirectory, source);
    await saveCheckpoint(loaded.model, to, { layout });
    context.output.result(
      { from, to, fromLayout: loaded.layout, layout, parameters: loaded.model.numParameters() },
      () => `converted ${from} (${loaded.layout}) to ${to} (${layout})`,
    );
    return 0;
  },
});

/** Refuses an --out holding a checkpoint or run unless --force, which removes a run there. */
async function clearOut(to: string, force: boolean): Promise<void> {
  const target = await inspectDirectory(to, '--out');
  if (target.kind !== 'run' && target.kind !== 'checkpoint') return;
  if (!force) {
    throw new CommandError(
      `--out ${to} already holds a ${target.kind === 'run' ? 'run' : 'checkpoint'}: pass --force to replace it, or choose another --out`,
    );
  }
  if (target.kind === 'run') await rm(to, { recursive: true, force: true });
}

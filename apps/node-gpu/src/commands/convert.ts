import { rm } from 'node:fs/promises';
import { saveCheckpoint } from '@scratchgpt/gpt-model/node';
import { CommandError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { defineCommand } from './command.js';

export const convert = defineCommand({
  summary: 'rewrite a checkpoint in the hf or book layout',
  description: `Rewrites a checkpoint in the Hugging Face GPT-2 layout (what PyTorch GPT-2 loaders read) or the
book's (a state dict of its GPTModel). F16/BF16 inputs are written as F32.`,
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
  notes: 'With --json: {"from","to","fromLayout","layout","parameters"}.',
  async run(values, context) {
    const { model: from, out: to, layout } = values;
    const fromDirectory = await resolveModelSource(from, context);
    const source = await inspectDirectory(fromDirectory, '--model');
    const config = await readConfigOf(modelFilesOf(fromDirectory, source));
    const target = await inspectDirectory(to, '--out');
    if (target.kind === 'run' || target.kind === 'checkpoint') {
      if (values.force !== true) {
        throw new CommandError(
          `--out ${to} already holds a ${target.kind === 'run' ? 'run' : 'checkpoint'}: pass --force to replace it, or choose another --out`,
        );
      }
      if (target.kind === 'run') await rm(to, { recursive: true, force: true });
    }

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

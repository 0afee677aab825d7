import { rm } from 'node:fs/promises';
import { saveCheckpoint } from '@scratchgpt/gpt-model/node';
import { type FlagSpec, parseFlags, requireString } from '../args.js';
import { CommandError, UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import type { Command } from './command.js';

const flags = {
  model: { type: 'string' },
  out: { type: 'string' },
  layout: { type: 'string' },
  force: { type: 'boolean' },
} as const satisfies FlagSpec;

export const convert: Command = {
  summary: 'rewrite a checkpoint in the hf or book layout',
  usage: 'scratchgpt convert --model DIR|ID --out DIR --layout hf|book [--force]',
  help: `Rewrites a checkpoint in the Hugging Face GPT-2 layout (what PyTorch GPT-2 loaders read) or the
book's (a state dict of its GPTModel). F16/BF16 inputs are written as F32.
  --model DIR|ID         a checkpoint or run directory (a run's current checkpoint is converted),
                         or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]
  --out DIR              where config.json and model.safetensors go
  --layout hf|book       the layout to write
  --force                replace a checkpoint already in --out (default: refuse)
With --json: {"from","to","fromLayout","layout","parameters"}.`,
  async run(args, context) {
    const values = parseFlags(args, flags, 'convert');
    const from = requireString(values, 'model', 'convert');
    const to = requireString(values, 'out', 'convert');
    const layout = requireString(values, 'layout', 'convert');
    if (layout !== 'hf' && layout !== 'book')
      throw new UsageError(`--layout must be hf or book, got '${layout}'`);
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
};

import { saveCheckpoint } from '@scratchgpt/gpt-model/node';
import { type FlagSpec, parseFlags, requireString } from '../args.js';
import { UsageError } from '../errors.js';
import { loadModelDirectory } from '../run-directory.js';
import type { CommandContext } from './context.js';

export const convertFlags = {
  model: { type: 'string' },
  out: { type: 'string' },
  layout: { type: 'string' },
} as const satisfies FlagSpec;

export const convertHelp = `scratchgpt convert --model DIR|ID --out DIR --layout hf|book

Rewrites a checkpoint in the Hugging Face GPT-2 layout (what PyTorch GPT-2 loaders read) or the
book's (a state dict of its GPTModel). F16/BF16 inputs are written as F32. --model also takes a
Hugging Face Hub id (gpt2 … gpt2-xl, owner/name[@revision]).`;

export async function runConvert(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, convertFlags, 'convert');
  const from = requireString(values, 'model', 'convert');
  const to = requireString(values, 'out', 'convert');
  const layout = requireString(values, 'layout', 'convert');
  if (layout !== 'hf' && layout !== 'book')
    throw new UsageError(`--layout must be hf or book, got '${layout}'`);
  await context.startBackend();
  const loaded = await loadModelDirectory(from, { output: context.output });
  await saveCheckpoint(loaded.model, to, { layout });
  context.output.result(
    { from, to, fromLayout: loaded.layout, layout, parameters: loaded.model.numParameters() },
    () => `converted ${from} (${loaded.layout}) to ${to} (${layout})`,
  );
  return 0;
}

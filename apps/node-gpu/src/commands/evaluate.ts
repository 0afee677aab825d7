import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { calcLossLoader } from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, parseFlags, requireString, stringFlag } from '../args.js';
import { defaultDataPath, readText } from '../data.js';
import { CommandError } from '../errors.js';
import { contextFor } from '../model-config.js';
import { loadModelDirectory } from '../run-directory.js';
import { encodeText, gpt2 } from '../text-helpers.js';
import type { CommandContext } from './context.js';

export const evalFlags = {
  model: { type: 'string' },
  data: { type: 'string' },
  context: { type: 'string' },
  'batch-size': { type: 'string' },
} as const satisfies FlagSpec;

export const evalHelp = `scratchgpt eval --model DIR|ID --data FILE [--context N] [--batch-size B]

The mean next-token cross-entropy (and perplexity) of a model on a text, over every target of the
non-overlapping windows of length N (default: the model's context; the incomplete tail is dropped).
The batch size only changes speed, never the result. --model takes a checkpoint directory or a
Hugging Face Hub id (gpt2 … gpt2-xl, owner/name[@revision]).
With --json: {"loss","perplexity","tokens","windows"}.`;

export async function runEval(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, evalFlags, 'eval');
  const directory = requireString(values, 'model', 'eval');
  const dataPath = stringFlag(values, 'data') ?? defaultDataPath();
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 8;
  const requested = numberFlag(values, 'context', { integer: true, min: 1 });
  const text = await readText(dataPath);
  await context.startBackend();
  const { model, config } = await loadModelDirectory(directory, {
    output: context.output,
    run: { batchSize, ...(requested !== undefined ? { contextLength: requested } : {}) },
  });
  const length = contextFor(config, requested);
  const ids = encodeText(gpt2(), text);
  if (ids.length <= length) {
    throw new CommandError(
      `${dataPath} has ${ids.length} tokens, too few for one window of ${length}: use a smaller --context`,
    );
  }
  const dataset = new GPTDataset(ids, { maxLength: length, stride: length });
  const loader = createDataLoader(dataset, { batchSize, shuffle: false, dropLast: false });
  model.eval();
  const { loss, tokens } = await calcLossLoader(model, loader);
  const result = { loss, perplexity: Math.exp(loss), tokens, windows: dataset.length };
  context.output.result(
    result,
    () =>
      `loss ${loss.toFixed(4)}, perplexity ${result.perplexity.toFixed(2)} (${tokens} tokens in ${dataset.length} windows of ${length})`,
  );
  return 0;
}

import { TooFewTokensError, textToBatches } from '@scratchgpt/data-loader';
import { calcLossLoader } from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, parseFlags, requireString, stringFlag } from '../args.js';
import { refuseClassifier } from '../classifier-guard.js';
import { defaultDataPath, readText } from '../data.js';
import { CommandError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf, windowLength } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { gpt2 } from '../text-helpers.js';
import type { Command } from './command.js';

const flags = {
  model: { type: 'string' },
  data: { type: 'string' },
  context: { type: 'string' },
  'batch-size': { type: 'string' },
} as const satisfies FlagSpec;

export const evaluate: Command = {
  summary: 'loss and perplexity of a model on a text',
  usage: 'scratchgpt eval --model DIR|ID [--data FILE] [--context N] [--batch-size B]',
  help: `The mean next-token cross-entropy (and perplexity) of a model on a text, over every target of its
non-overlapping windows (the incomplete tail is dropped). The batch size only changes speed, never
the result.
  --model DIR|ID         a checkpoint or run directory,
                         or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]
  --data FILE            the text (default: the bundled The Verdict); the output names it
  --context N            tokens per window (default: the model's context length; at most it)
  --batch-size B         windows per batch (default 8)
With --json: {"loss","perplexity","tokens","windows","data","context"}.`,
  async run(args, context) {
    const values = parseFlags(args, flags, 'eval');
    const source = requireString(values, 'model', 'eval');
    const dataPath = stringFlag(values, 'data') ?? defaultDataPath();
    const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 8;
    const requested = numberFlag(values, 'context', { integer: true, min: 1 });
    const directory = await resolveModelSource(source, context);
    const contents = await inspectDirectory(directory, '--model');
    refuseClassifier(directory, contents, 'classify eval --model DIR');
    const config = await readConfigOf(modelFilesOf(directory, contents));
    const length = windowLength(config, requested);
    const text = await readText(dataPath);
    let loader: ReturnType<typeof textToBatches>['train'];
    try {
      loader = textToBatches(text, {
        tokenizer: gpt2(),
        allowedSpecial: 'all',
        maxLength: length,
        batchSize,
        validationRatio: 0,
        shuffle: false,
        dropLast: false,
      }).train;
    } catch (error) {
      if (!(error instanceof TooFewTokensError)) throw error;
      throw new CommandError(
        `${dataPath} has ${error.tokens} tokens, too few for one window of ${length} (${error.needed} tokens): use more text or a smaller --context`,
      );
    }

    await context.startBackend();
    checkMemory(config, { batchSize, tokens: length, training: false });
    const { model } = await loadModelDirectory(directory, contents);
    model.eval();
    const { loss, tokens } = await calcLossLoader(model, loader);
    if (!Number.isFinite(loss)) {
      throw new CommandError(
        `The loss of ${directory} on ${dataPath} is ${loss}: the model's weights give non-finite logits`,
      );
    }
    const windows = loader.dataset.length;
    const result = { loss, perplexity: Math.exp(loss), tokens, windows, data: dataPath, context: length };
    context.output.result(
      result,
      () =>
        `loss ${loss.toFixed(4)}, perplexity ${result.perplexity.toFixed(2)} on ${dataPath} (${tokens} tokens in ${windows} windows of ${length})`,
    );
    return 0;
  },
};

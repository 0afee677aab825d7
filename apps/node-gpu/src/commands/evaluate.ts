import { TooFewTokensError, textToBatches } from '@scratchgpt/data-loader';
import { calcLossLoader } from '@scratchgpt/trainer';
import { refuseClassifier } from '../classifier-guard.js';
import { defaultDataPath, readText } from '../data.js';
import { CommandError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf, windowLength } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { isOpenModelDirectory } from '../open-model-run.js';
import {
  type DirectoryContents,
  inspectDirectory,
  loadModelDirectory,
  modelFilesOf,
} from '../run-directory.js';
import { gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';
import { evaluateOpenModel } from './evaluate-open-model.js';

export const evaluate = defineCommand({
  summary: 'loss and perplexity of a model on a text',
  description: `The mean next-token cross-entropy (and perplexity) of a model on a text, over every target of its
non-overlapping windows (the incomplete tail is dropped). The batch size only changes speed, never
the result. A Qwen3, Llama 3.2 or Gemma 3 model reads the text in its own tokens, framed as train
frames it.`,
  flags: {
    model: {
      type: 'string',
      value: 'DIR|ID',
      required: true,
      help: 'a checkpoint or run directory (GPT-2, Qwen3, Llama 3.2, Gemma 3), or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]',
    },
    data: {
      type: 'string',
      value: 'FILE',
      defaultText: 'the bundled The Verdict',
      help: 'the text; the output names it',
    },
    context: {
      type: 'integer',
      value: 'N',
      min: 1,
      defaultText: "the model's context length, which is also the most",
      help: 'tokens per window',
    },
    'batch-size': { type: 'integer', value: 'B', min: 1, default: 8, help: 'windows per batch' },
  },
  notes: 'With --json: {"loss","perplexity","tokens","windows","data","context"}.',
  async run(values, context) {
    const { model: source, 'batch-size': batchSize, context: requested } = values;
    const dataPath = values.data ?? defaultDataPath();
    const directory = await resolveModelSource(source, context);
    const contents = await inspectDirectory(directory, '--model');
    refuseClassifier(directory, contents, 'classify eval --model DIR');
    const text = await readText(dataPath);
    const { loss, tokens, windows, length } = (await isOpenModelDirectory(directory, contents))
      ? await evaluateOpenModel({ directory, contents, text, dataPath, batchSize, requested }, context)
      : await evaluateGPT({ directory, contents, text, dataPath, batchSize, requested }, context);
    if (!Number.isFinite(loss)) {
      throw new CommandError(
        `The loss of ${directory} on ${dataPath} is ${loss}: the model's weights give non-finite logits`,
      );
    }
    const result = { loss, perplexity: Math.exp(loss), tokens, windows, data: dataPath, context: length };
    context.output.result(
      result,
      () =>
        `loss ${loss.toFixed(4)}, perplexity ${result.perplexity.toFixed(2)} on ${dataPath} (${tokens} tokens in ${windows} windows of ${length})`,
    );
    return 0;
  },
});

/** What `eval` asks of a model: its directory, the text, and how to cut it. */
export interface EvaluationRequest {
  directory: string;
  contents: DirectoryContents;
  text: string;
  dataPath: string;
  batchSize: number;
  /** --context, when given. */
  requested: number | undefined;
}

export interface Evaluation {
  loss: number;
  tokens: number;
  windows: number;
  /** Tokens per window. */
  length: number;
}

async function evaluateGPT(request: EvaluationRequest, context: CommandContext): Promise<Evaluation> {
  const { directory, contents, text, dataPath, batchSize } = request;
  const config = await readConfigOf(modelFilesOf(directory, contents));
  const length = windowLength(config, request.requested);
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
    throw new CommandError(tooFewWindowsLine(dataPath, error, length));
  }
  await context.startBackend();
  checkMemory(config, { batchSize, tokens: length, training: false });
  const { model } = await loadModelDirectory(directory, contents);
  model.eval();
  const { loss, tokens } = await calcLossLoader(model, loader);
  return { loss, tokens, windows: loader.dataset.length, length };
}

export function tooFewWindowsLine(dataPath: string, error: TooFewTokensError, length: number): string {
  return `${dataPath} has ${error.tokens} tokens, too few for one window of ${length} (${error.needed} tokens): use more text or a smaller --context`;
}

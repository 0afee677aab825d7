/**
 * `eval` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint or run: the text in the model's own tokens,
 * framed as one document as `train` frames it (the family's BOS first where it has one, its EOS
 * last), cut into windows of at most the model's context; LoRA updates saved beside the weights are
 * merged first.
 */
import { TooFewTokensError } from '@scratchgpt/data-loader';
import { calcLossLoader } from '@scratchgpt/trainer';
import { CommandError } from '../errors.js';
import { checkOpenModelFits, loadOpenModelDirectory } from '../open-model-directory.js';
import { openWindowLength, readOpenDecoder, readOpenModelBase } from '../open-model-run.js';
import { openModelTextBatches, openModelTokenizer } from '../open-model-text.js';
import { modelFilesOf } from '../run-directory.js';
import type { CommandContext } from './context.js';
import { type Evaluation, type EvaluationRequest, tooFewWindowsLine } from './evaluate.js';

export async function evaluateOpenModel(
  request: EvaluationRequest,
  context: CommandContext,
): Promise<Evaluation> {
  const { directory, contents, text, dataPath, batchSize } = request;
  const files = modelFilesOf(directory, contents);
  const decoder = await readOpenDecoder(files);
  const length = openWindowLength(decoder, request.requested);
  const tokenizer = await openModelTokenizer(files, 'eval reads it beside config.json');
  let loader: ReturnType<typeof openModelTextBatches>['train'];
  try {
    loader = openModelTextBatches(text, tokenizer, decoder, {
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
  checkOpenModelFits((await readOpenModelBase(files)).configJson, directory);
  const model = await loadOpenModelDirectory(files);
  try {
    model.eval();
    const { loss, tokens } = await calcLossLoader(model, loader);
    return { loss, tokens, windows: loader.dataset.length, length };
  } finally {
    model.dispose();
  }
}

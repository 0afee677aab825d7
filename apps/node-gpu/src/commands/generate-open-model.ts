/**
 * `generate` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint, greedily. A `--prompt` is encoded with the
 * checkpoint's own tokenizer (tokenizer.json and tokenizer_config.json), after its BOS where it has
 * one, and the continuation ends at its end-of-text token; `--ids` gives token ids in and out.
 */
import { greedyTokens } from '@scratchgpt/open-models';
import { type HFTokenizer, HFTokenizerFileError } from '@scratchgpt/tokenizer';
import { loadHFTokenizerFromDirectory } from '@scratchgpt/tokenizer/node';
import { CommandError, UsageError } from '../errors.js';
import { loadOpenModelDirectory } from '../open-model-directory.js';
import type { CommandContext } from './context.js';

export interface OpenModelRequest {
  directory: string;
  prompt: string | undefined;
  ids: number[] | undefined;
  maxNewTokens: number;
  useCache: boolean;
  sampling: { temperature: number; topK: number | undefined; topP: number | undefined };
}

export async function generateWithOpenModel(
  request: OpenModelRequest,
  context: CommandContext,
): Promise<number> {
  refuseSampling(request.sampling);
  const tokenizer = request.ids === undefined ? await tokenizerOf(request.directory) : undefined;
  const promptTokenIds = promptIdsOf(request, tokenizer);
  await context.startBackend();
  const model = await loadOpenModelDirectory(request.directory);
  try {
    const { vocabSize, contextLength, family } = model.config;
    const outside = promptTokenIds.find((id) => id >= vocabSize);
    if (outside !== undefined) {
      throw new CommandError(
        `--ids: token ${outside} is outside this ${family} model's vocabulary of ${vocabSize}`,
      );
    }
    if (promptTokenIds.length + request.maxNewTokens > contextLength) {
      throw new CommandError(
        `${promptTokenIds.length} prompt tokens + --max-new-tokens ${request.maxNewTokens} exceed this ${family} model's context of ${contextLength}: ask for fewer new tokens`,
      );
    }
    const generated = await greedyTokens(model, promptTokenIds, request.maxNewTokens, {
      useCache: request.useCache,
    });
    if (tokenizer === undefined) {
      context.output.result({ tokenIds: generated, promptTokenIds }, () => generated.join(' '));
      return 0;
    }
    const tokenIds = untilEndOfText(generated, tokenizer.eosId);
    // As for GPT-2: the prompt and its continuation.
    const text = `${request.prompt ?? ''}${tokenizer.decode(tokenIds)}`;
    context.output.result({ text, tokenIds, promptTokenIds }, () => text);
    return 0;
  } finally {
    model.dispose();
  }
}

/** The shared sampler is written for GPT-2's model; these models pick the likeliest token for now. */
function refuseSampling({ temperature, topK, topP }: OpenModelRequest['sampling']): void {
  const given = [
    temperature !== 0 ? '--temperature' : undefined,
    topK !== undefined ? '--top-k' : undefined,
    topP !== undefined ? '--top-p' : undefined,
  ].filter((flag) => flag !== undefined);
  if (given.length > 0) {
    throw new UsageError(
      `generate: Qwen3, Llama and Gemma 3 models generate greedily for now; drop ${given.join(', ')}`,
    );
  }
}

function promptIdsOf({ prompt, ids }: OpenModelRequest, tokenizer: HFTokenizer | undefined): number[] {
  if (ids !== undefined) return ids;
  const text = prompt ?? '';
  const encoded = (tokenizer as HFTokenizer).encode(text);
  const bos = (tokenizer as HFTokenizer).bosId;
  const withBos = bos === null ? encoded : [bos, ...encoded];
  if (withBos.length === 0) throw new UsageError('generate: --prompt is empty; give some text to continue');
  return withBos;
}

async function tokenizerOf(directory: string): Promise<HFTokenizer> {
  try {
    return await loadHFTokenizerFromDirectory(directory);
  } catch (error) {
    if (!(error instanceof HFTokenizerFileError)) throw error;
    throw new CommandError(`${error.message}; or give the prompt as token ids with --ids 1,2,3`);
  }
}

/** The new tokens up to (not including) the first end-of-text, where the tokenizer names one. */
function untilEndOfText(tokens: number[], eosId: number | null): number[] {
  const end = eosId === null ? -1 : tokens.indexOf(eosId);
  return end === -1 ? tokens : tokens.slice(0, end);
}

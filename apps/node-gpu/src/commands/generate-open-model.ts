/**
 * `generate` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint, through the loop GPT-2 uses (sampling,
 * seeds, the KV cache). A `--prompt` is encoded with the checkpoint's own tokenizer (tokenizer.json and
 * tokenizer_config.json), after its BOS where it has one, and the text streams until one of the
 * model's stop ids (the tokenizer's EOS, generation_config.json's `eos_token_id`); `--ids` gives token
 * ids in and out.
 */
import { generateStream } from '@scratchgpt/gpt-model';
import type { StoragePrecision } from '@scratchgpt/tensor';
import type { HFTokenizer } from '@scratchgpt/tokenizer';
import { CommandError, UsageError } from '../errors.js';
import { loadOpenModelDirectory } from '../open-model-directory.js';
import { openModelStopIds, openModelTokenizer } from '../open-model-text.js';
import { storeModelWeights } from '../precision-flag.js';
import { createStreamDecoder } from '../text-helpers.js';
import type { CommandContext } from './context.js';

export interface OpenModelRequest {
  directory: string;
  prompt: string | undefined;
  ids: number[] | undefined;
  maxNewTokens: number;
  useCache: boolean;
  /** Keep going past the stop ids. */
  noStop: boolean;
  sampling: { temperature: number; topK: number | undefined; topP: number | undefined };
  /** The weights' precision once loaded. */
  precision: StoragePrecision;
}

export async function generateWithOpenModel(
  request: OpenModelRequest,
  context: CommandContext,
): Promise<number> {
  const tokenizer =
    request.ids === undefined
      ? await openModelTokenizer(request.directory, 'or give the prompt as token ids with --ids 1,2,3')
      : undefined;
  const promptTokenIds = promptIdsOf(request, tokenizer);
  await context.startBackend();
  const model = await loadOpenModelDirectory(request.directory, request.precision);
  try {
    await storeModelWeights(model, request.precision);
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
    const stopIds = request.noStop ? [] : await openModelStopIds(request.directory, tokenizer, vocabSize);
    const { temperature, topK, topP } = request.sampling;
    const stream = generateStream(model, promptTokenIds, {
      maxNewTokens: request.maxNewTokens,
      temperature,
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      eosId: stopIds,
      seed: context.seed,
      useCache: request.useCache,
    });
    const { output } = context;
    // The stop id ends the answer and is left out of it, as chat leaves it out.
    const tokenIds: number[] = [];
    const decode = tokenizer === undefined ? undefined : createStreamDecoder(tokenizer);
    const streaming = decode !== undefined && !output.json;
    if (streaming) output.write(request.prompt ?? '');
    for await (const id of stream) {
      if (stopIds.includes(id)) break;
      tokenIds.push(id);
      if (streaming) output.write(decode(tokenIds));
    }
    if (streaming) output.write(decode(tokenIds, true));
    if (tokenizer === undefined) {
      output.result({ tokenIds, promptTokenIds }, () => tokenIds.join(' '));
      return 0;
    }
    // As for GPT-2: the prompt and its continuation.
    const text = `${request.prompt ?? ''}${tokenizer.decode(tokenIds)}`;
    if (output.json) output.result({ text, tokenIds, promptTokenIds }, () => text);
    else output.write('\n');
    return 0;
  } finally {
    model.dispose();
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

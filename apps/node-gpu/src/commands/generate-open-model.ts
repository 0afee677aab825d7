/**
 * `generate` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint: greedy, from token ids to token ids. Their
 * tokenizers (tokenizer.json) are not read yet, so the prompt comes as `--ids`; once a tokenizer is
 * available, `promptIdsOf` and the printing of the result are the two places that change.
 */
import { greedyTokens } from '@scratchgpt/open-models';
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
  const promptTokenIds = promptIdsOf(request);
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
    const tokenIds = await greedyTokens(model, promptTokenIds, request.maxNewTokens, {
      useCache: request.useCache,
    });
    context.output.result({ tokenIds, promptTokenIds }, () => tokenIds.join(' '));
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

function promptIdsOf({ prompt, ids }: OpenModelRequest): number[] {
  if (ids !== undefined) return ids;
  throw new UsageError(
    `generate: this model's tokenizer (tokenizer.json) is not read yet, so --prompt ${JSON.stringify(prompt)} cannot be encoded; give the prompt as token ids with --ids 1,2,3`,
  );
}

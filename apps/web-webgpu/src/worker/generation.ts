/** Text from a prompt, sent to the page token by token. */
import { type GPTModel, generateStream } from '@scratchgpt/gpt-model';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { FromWorker } from '../protocol.js';

export interface GenerationRequest {
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
}

export async function runGeneration(
  model: GPTModel,
  request: GenerationRequest,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  const tokenizer = getGPT2Tokenizer();
  const promptIds = tokenizer.encode(request.prompt);
  if (promptIds.length === 0) throw new Error('The prompt is empty: type a few words to continue');
  const ids: number[] = [];
  const stream = generateStream(model, promptIds, {
    maxNewTokens: request.maxNewTokens,
    temperature: request.temperature,
    ...(request.topK > 0 ? { topK: request.topK } : {}),
    seed: Date.now() % 2 ** 31,
    signal,
  });
  for await (const id of stream) {
    ids.push(id);
    // Decoding all new tokens each time keeps characters split across tokens whole.
    post({ type: 'token', text: tokenizer.decode(ids), tokens: ids.length });
  }
  post({ type: 'generated', text: tokenizer.decode(ids), tokens: ids.length, stopped: signal.aborted });
}

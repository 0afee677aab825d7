/**
 * One request's generation: new tokens until a stop id (<|endoftext|>, an open model's end of turn), a
 * stop string or `maxTokens`, decoded with the model's tokenizer and
 * handed out piece by piece as they become safe to send (whole characters, no part of a stop string).
 */
import { generateStream } from '@scratchgpt/gpt-model';
import type { ServedModel } from './served-model.js';
import { StopText } from './stop-text.js';

export interface GenerationRequest {
  promptIds: readonly number[];
  maxTokens: number;
  /** 0 picks the most likely token. */
  temperature: number;
  topP?: number;
  topK?: number;
  seed: number;
  stop: readonly string[];
}

export type FinishReason = 'stop' | 'length';

export interface GenerationResult {
  text: string;
  promptTokens: number;
  /** Tokens generated, <|endoftext|> not counted. */
  completionTokens: number;
  /** `stop`: <|endoftext|> or a stop string; `length`: `maxTokens` reached. */
  finishReason: FinishReason;
  /** The client left, and generation stopped between two tokens. */
  cancelled: boolean;
}

export async function runGeneration(
  served: ServedModel,
  request: GenerationRequest,
  options: { signal: AbortSignal; onText?: (piece: string) => void },
): Promise<GenerationResult> {
  const { promptIds, maxTokens, temperature, topP, topK, seed } = request;
  const { tokenizer, stopIds } = served;
  const stopText = new StopText(request.stop);
  const send = (piece: string) => {
    if (piece !== '') options.onText?.(piece);
  };
  const ids: number[] = [];
  let endOfText = false;
  const stream = generateStream(served.model, promptIds, {
    maxNewTokens: maxTokens,
    temperature,
    ...(topP !== undefined ? { topP } : {}),
    ...(topK !== undefined ? { topK } : {}),
    eosId: stopIds,
    seed,
    signal: options.signal,
  });
  for await (const id of stream) {
    if (stopIds.includes(id)) {
      endOfText = true;
      break;
    }
    ids.push(id);
    // A token may end inside a character: its replacement mark waits for the token that completes it.
    send(stopText.update(tokenizer.decode(ids).replace(/\uFFFD+$/, '')));
    if (stopText.stopped) break;
  }
  const decoded = tokenizer.decode(ids);
  if (!stopText.stopped) send(stopText.finish(decoded));
  return {
    text: stopText.result(decoded),
    promptTokens: promptIds.length,
    completionTokens: ids.length,
    finishReason: endOfText || stopText.stopped ? 'stop' : 'length',
    cancelled: options.signal.aborted,
  };
}

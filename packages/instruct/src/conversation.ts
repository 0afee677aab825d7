/**
 * A chat prompt that fits the model's context: the conversation so far in the model's prompt format,
 * then the new message. When it would not leave room for the answer, the oldest turns are dropped
 * first; a single message too long even alone keeps its last tokens.
 */
import type { Tokenizer } from '@scratchgpt/tokenizer';
import type { ChatTurn, PromptFormat } from './prompt-format.js';

export interface ChatPromptOptions {
  tokenizer: Tokenizer;
  format: PromptFormat;
  contextLength: number;
  /** Room kept for the answer: the prompt gets at most `contextLength − reserve` tokens. */
  reserve: number;
}

export interface ChatPrompt {
  ids: number[];
  /** Oldest turns left out to make room. */
  droppedTurns: number;
  /** Tokens cut from the start of the prompt when even the message alone did not fit. */
  truncatedTokens: number;
}

/** How many tokens an answer may take: `maxNewTokens`, but never more than half the context. */
export function answerReserve(contextLength: number, maxNewTokens: number): number {
  return Math.max(1, Math.min(maxNewTokens, Math.floor(contextLength / 2)));
}

export function chatPrompt(
  history: readonly ChatTurn[],
  message: string,
  options: ChatPromptOptions,
): ChatPrompt {
  const { tokenizer, format, contextLength, reserve } = options;
  const budget = contextLength - reserve;
  if (!(budget >= 1)) {
    throw new RangeError(
      `chatPrompt: a reserve of ${reserve} leaves no room in a context of ${contextLength}`,
    );
  }
  // A chat template writes its special tokens (<|im_start|>, <bos>, …) as text: they are read as tokens.
  const special = format.name === 'chat-template' ? { allowedSpecial: 'all' as const } : undefined;
  const encode = (dropped: number) =>
    tokenizer.encode(format.conversation(history.slice(dropped), message), special);
  let dropped = 0;
  let ids = encode(dropped);
  while (ids.length > budget && dropped < history.length) ids = encode(++dropped);
  if (ids.length <= budget) return { ids, droppedTurns: dropped, truncatedTokens: 0 };
  return { ids: ids.slice(ids.length - budget), droppedTurns: dropped, truncatedTokens: ids.length - budget };
}

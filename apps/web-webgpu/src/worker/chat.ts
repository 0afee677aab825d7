/** One answer of the chat panel, streamed to the page as it grows. */

import type { GPTModel } from '@scratchgpt/gpt-model';
import { ChatSession, promptFormat } from '@scratchgpt/instruct';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { FromWorker, ToWorker } from '../protocol.js';

type ChatRequest = Extract<ToWorker, { type: 'chat' }>;

/** The conversation with the current model; a new model or format starts a new one. */
let session: { model: GPTModel; key: string; chat: ChatSession } | undefined;

export function resetChat(): void {
  session = undefined;
}

export async function runChat(
  model: GPTModel,
  request: ChatRequest,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  const key = `${request.format} ${request.maxNewTokens} ${request.temperature}`;
  if (session?.model !== model || session.key !== key) {
    const chat = new ChatSession(model, {
      tokenizer: getGPT2Tokenizer(),
      format: promptFormat(request.format),
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      seed: Date.now() % 2 ** 31,
    });
    session = { model, key, chat };
  }
  let text = '';
  let note: string | null = null;
  const answer = await session.chat.answer(request.message, {
    signal,
    onPrompt: ({ droppedTurns, truncatedTokens }) => {
      if (droppedTurns > 0)
        note = `The ${droppedTurns === 1 ? 'oldest turn was' : `${droppedTurns} oldest turns were`} left out to fit the context.`;
      if (truncatedTokens > 0)
        note = `The message was cut to fit the context (its first ${truncatedTokens} tokens left out).`;
      post({ type: 'chat-token', text, note });
    },
    onText: (piece) => {
      text += piece;
      post({ type: 'chat-token', text, note });
    },
  });
  post({ type: 'chat-answer', text: answer.text, ended: answer.ended });
}

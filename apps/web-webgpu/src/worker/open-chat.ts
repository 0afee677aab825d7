/**
 * The chat with an open model: the conversation rendered with the model's own chat template (with the
 * header that asks for the assistant's turn; Qwen3's thinking off unless asked for), its tokens
 * streamed to the page as they come, the answer ending at the template's end of turn or an EOS token.
 * When the conversation outgrows the context, its oldest turns are left out.
 */
import { generateStream } from '@scratchgpt/gpt-model';
import { type ChatMessage, renderChatTemplate } from '@scratchgpt/tokenizer';
import type { ChatModelChoice, FromWorker, ToWorker } from '../protocol.js';
import type { OpenChatModel } from './open-model.js';

type ChatRequest = Extract<ToWorker, { type: 'chat' }> & { model: Extract<ChatModelChoice, 'open'> };

/** The finished turns with the open model; a new model starts a new conversation. */
let conversation: { model: OpenChatModel; turns: ChatMessage[] } | undefined;

export function resetOpenChat(): void {
  conversation = undefined;
}

export async function runOpenChat(
  open: OpenChatModel,
  request: ChatRequest,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  if (conversation?.model !== open) conversation = { model: open, turns: [] };
  const { tokenizer, model, stopIds } = open;
  const { prompt, dropped } = fitPrompt(open, conversation.turns, request);
  const note =
    dropped > 0
      ? `The ${dropped === 1 ? 'oldest turn was' : `${dropped} oldest turns were`} left out to fit the context.`
      : null;
  post({ type: 'chat-token', text: '', note });
  const maxNewTokens = Math.min(request.maxNewTokens, model.config.contextLength - prompt.length);
  const ids: number[] = [];
  let ended: 'end-of-text' | 'stopped' | 'token-limit' = 'token-limit';
  const stream = generateStream(model, prompt, {
    maxNewTokens,
    temperature: request.temperature,
    seed: Date.now() % 2 ** 31,
    signal,
  });
  for await (const id of stream) {
    if (stopIds.has(id)) {
      ended = 'end-of-text';
      break;
    }
    ids.push(id);
    // Decoding every new token each time keeps characters split across tokens whole.
    post({ type: 'chat-token', text: tokenizer.decode(ids), note });
  }
  if (ended !== 'end-of-text' && signal.aborted) ended = 'stopped';
  const text = tokenizer.decode(ids);
  conversation.turns.push(
    { role: 'user', content: request.message },
    { role: 'assistant', content: text.trim() },
  );
  post({ type: 'chat-answer', text, ended });
}

/**
 * The prompt's token ids: the conversation and the new message in the template, leaving out the oldest
 * turns until at least one answer token fits the context.
 */
function fitPrompt(
  open: OpenChatModel,
  turns: readonly ChatMessage[],
  request: ChatRequest,
): { prompt: number[]; dropped: number } {
  const { contextLength } = open.model.config;
  const message: ChatMessage = { role: 'user', content: request.message };
  for (let dropped = 0; dropped <= turns.length; dropped += 2) {
    const text = renderChatTemplate(open.tokenizer.config!, [...turns.slice(dropped), message], {
      addGenerationPrompt: true,
      enableThinking: request.thinking,
    });
    const prompt = open.tokenizer.encode(text, { allowedSpecial: 'all' });
    if (prompt.length < contextLength) return { prompt, dropped: dropped / 2 };
  }
  throw new Error(
    `The message does not fit the model's context of ${contextLength} tokens in its chat template: shorten it`,
  );
}

/**
 * What the model reads for a request: a completion's prompt as it is; a conversation written in the
 * model's prompt format (system text first, then each user turn with the assistant's answer, then the
 * last user message and the header the answer follows). Too long for the context is a 400.
 */
import type { ChatTurn } from '@scratchgpt/instruct';
import { encodeText } from '../text-helpers.js';
import { ApiError, badField } from './api-error.js';
import type { ServedModel } from './served-model.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function completionPromptIds(served: ServedModel, prompt: string): number[] {
  if (prompt === '') throw badField('prompt', 'is empty: give the text to continue');
  return fitting(served, [...served.promptPrefix, ...encodeText(served.tokenizer, prompt)]);
}

export function chatPromptIds(served: ServedModel, messages: readonly ChatMessage[]): number[] {
  const format = served.format;
  if (format === undefined) {
    throw new ApiError(
      400,
      served.family === 'gpt2'
        ? `The model '${served.name}' is a plain GPT without a prompt format, so it serves completions only: use /v1/completions (or /api/generate), or serve an instruction-tuned run (or pass --format alpaca|phi3)`
        : `The model '${served.name}' has no chat template (tokenizer_config.json names none), so it serves completions only: use /v1/completions (or /api/generate), or pass --format alpaca|phi3`,
      { param: 'model', code: 'model_not_chat' },
    );
  }
  const { turns, message } = conversation(messages);
  return fitting(served, encodeText(served.tokenizer, format.conversation(turns, message)));
}

/** Pairs user messages with the answers after them; the system text leads the first user text. */
function conversation(messages: readonly ChatMessage[]): { turns: ChatTurn[]; message: string } {
  const last = messages.at(-1);
  if (last?.role !== 'user') throw badField('messages', 'must end with a message whose role is user');
  const paragraphs = (texts: readonly string[]) => texts.filter((text) => text !== '').join('\n\n');
  const system = paragraphs(messages.filter((m) => m.role === 'system').map((m) => m.content));
  const turns: ChatTurn[] = [];
  let pending: string[] = [];
  for (const { role, content } of messages.slice(0, -1)) {
    if (role === 'user') pending.push(content);
    if (role === 'assistant') {
      turns.push({ user: paragraphs(pending), assistant: content });
      pending = [];
    }
  }
  const message = paragraphs([...pending, last.content]);
  const [first] = turns;
  if (first === undefined) return { turns, message: paragraphs([system, message]) };
  turns[0] = { ...first, user: paragraphs([system, first.user]) };
  return { turns, message };
}

function fitting(served: ServedModel, ids: number[]): number[] {
  const { contextLength } = served.config;
  if (ids.length > contextLength) {
    throw new ApiError(
      400,
      `The prompt is ${ids.length} tokens, longer than the ${contextLength}-token context of '${served.name}': shorten it`,
      { param: 'messages', code: 'context_length_exceeded' },
    );
  }
  return ids;
}

/** `messages`: a non-empty array of {role, content}; content a string or OpenAI's text parts. */
export function readMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0)
    throw badField('messages', 'must be a non-empty array of {role, content}');
  return value.map((item: unknown, index) => {
    const path = `messages[${index}]`;
    if (typeof item !== 'object' || item === null) throw badField(path, 'must be an object {role, content}');
    const { role, content } = item as { role?: unknown; content?: unknown };
    if (role !== 'system' && role !== 'user' && role !== 'assistant')
      throw badField(`${path}.role`, `must be system, user or assistant, got ${JSON.stringify(role)}`);
    return { role, content: messageText(content, `${path}.content`) };
  });
}

function messageText(content: unknown, path: string): string {
  if (typeof content === 'string') return content;
  const parts = Array.isArray(content) ? content : undefined;
  const texts = parts?.map((part: { type?: unknown; text?: unknown } | null) =>
    part?.type === 'text' && typeof part.text === 'string' ? part.text : undefined,
  );
  if (texts === undefined || texts.some((text) => text === undefined))
    throw badField(path, 'must be a string or an array of {"type":"text","text":…} parts');
  return texts.join('');
}

/**
 * OpenAI's API: GET /v1/models, POST /v1/chat/completions and /v1/completions, whole or streamed as
 * server-sent events (`data: {…}` chunks, then `data: [DONE]`).
 */
import { randomUUID } from 'node:crypto';
import { badField } from './api-error.js';
import { type Exchange, findModel, type ServerState } from './exchange.js';
import { optionalBoolean, optionalNumber, optionalObject, stopStrings } from './fields.js';
import { type GenerationRequest, type GenerationResult, runGeneration } from './generation.js';
import { chatPromptIds, completionPromptIds, readMessages } from './prompts.js';
import type { ServedModel } from './served-model.js';

/** Past the context the window slides, so more is possible; this bounds a typo, not a model. */
export const MAX_TOKENS = 100_000;

export function listModels(state: ServerState, exchange: Exchange): void {
  const data = [...state.models.values()].map((served) => ({
    id: served.name,
    object: 'model',
    created: served.loadedAt,
    owned_by: 'scratchgpt',
  }));
  exchange.json(200, { object: 'list', data });
}

type Kind = 'chat' | 'completion';

export async function complete(state: ServerState, exchange: Exchange, kind: Kind): Promise<void> {
  const body = await exchange.body(state.bodyLimit);
  const served = findModel(state, body.model);
  const promptIds =
    kind === 'chat'
      ? chatPromptIds(served, readMessages(body.messages))
      : completionPromptIds(served, readPrompt(body.prompt));
  const request = readSettings(body, state, served, promptIds);
  const stream = optionalBoolean(body, 'stream') === true;
  const includeUsage = optionalBoolean(
    optionalObject(body, 'stream_options'),
    'include_usage',
    'stream_options.include_usage',
  );
  const reply = new Reply(kind, served.name);
  const result = await state.queue.run(() => {
    if (stream) {
      exchange.startStream('text/event-stream');
      if (kind === 'chat') exchange.write(reply.event(reply.opening()));
    }
    const onText = stream ? (piece: string) => exchange.write(reply.event(reply.piece(piece))) : undefined;
    return runGeneration(served, request, {
      signal: exchange.signal,
      ...(onText ? { onText } : {}),
    });
  }, exchange.signal);
  if (result.cancelled) return exchange.end();
  if (!stream) return exchange.json(200, reply.whole(result));
  exchange.write(reply.event(reply.closing(result)));
  if (includeUsage === true) exchange.write(reply.event(reply.usageChunk(result)));
  exchange.end('data: [DONE]\n\n');
}

/** `prompt`: a string, or OpenAI's list form holding one. */
function readPrompt(value: unknown): string {
  const prompt = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof prompt !== 'string') throw badField('prompt', 'must be a string (one prompt per request)');
  return prompt;
}

function readSettings(
  body: Record<string, unknown>,
  state: ServerState,
  served: ServedModel,
  promptIds: number[],
): GenerationRequest {
  const n = optionalNumber(body, 'n', { min: 1, max: MAX_TOKENS, integer: true });
  if (n !== undefined && n !== 1)
    throw badField('n', `must be 1: this server writes one answer per request, got ${n}`);
  const limit = { min: 1, max: MAX_TOKENS, integer: true };
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens', limit) ?? optionalNumber(body, 'max_tokens', limit);
  const topP = optionalNumber(body, 'top_p', { min: 0, max: 1, exclusiveMin: true });
  return {
    promptIds,
    maxTokens: maxTokens ?? Math.max(1, served.config.contextLength - promptIds.length),
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }) ?? 1,
    ...(topP !== undefined ? { topP } : {}),
    seed: optionalNumber(body, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }) ?? state.seed,
    stop: stopStrings(body, 'stop'),
  };
}

/** The objects of one answer, whole or in chunks, all with the same id and time. */
class Reply {
  readonly #kind: Kind;
  readonly #model: string;
  readonly #id: string;
  readonly #created = Math.floor(Date.now() / 1000);

  constructor(kind: Kind, model: string) {
    this.#kind = kind;
    this.#model = model;
    this.#id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`;
  }

  event(value: unknown): string {
    return `data: ${JSON.stringify(value)}\n\n`;
  }

  whole(result: GenerationResult): unknown {
    const choice =
      this.#kind === 'chat'
        ? { index: 0, message: { role: 'assistant', content: result.text }, logprobs: null }
        : { index: 0, text: result.text, logprobs: null };
    const object = this.#kind === 'chat' ? 'chat.completion' : 'text_completion';
    return {
      ...this.#header(object),
      choices: [{ ...choice, finish_reason: result.finishReason }],
      usage: usage(result),
    };
  }

  /** A chat stream opens with the assistant's role (a completion starts with its first text). */
  opening(): unknown {
    return this.#chunk({ role: 'assistant', content: '' }, null);
  }

  piece(text: string): unknown {
    return this.#chunk(this.#kind === 'chat' ? { content: text } : text, null);
  }

  closing(result: GenerationResult): unknown {
    return this.#chunk(this.#kind === 'chat' ? {} : '', result.finishReason);
  }

  /** The chunk `stream_options.include_usage` asks for: no choices, the token counts. */
  usageChunk(result: GenerationResult): unknown {
    return { ...this.#header(this.#streamObject()), choices: [], usage: usage(result) };
  }

  #chunk(content: unknown, finishReason: string | null): unknown {
    const choice =
      this.#kind === 'chat'
        ? { index: 0, delta: content, logprobs: null, finish_reason: finishReason }
        : { index: 0, text: content, logprobs: null, finish_reason: finishReason };
    return { ...this.#header(this.#streamObject()), choices: [choice] };
  }

  #streamObject(): string {
    return this.#kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  }

  #header(object: string) {
    return { id: this.#id, object, created: this.#created, model: this.#model };
  }
}

function usage(result: GenerationResult) {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
  };
}

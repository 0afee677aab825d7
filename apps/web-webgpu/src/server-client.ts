/**
 * The page as a client of an OpenAI-compatible server (`scratchgpt serve`): its models, and a chat
 * answer streamed as server-sent events. The address comes from the page's URL, so nothing here trusts
 * it: http(s) only, every request has a deadline, and every answer is read up to a size limit.
 */
import type { ChatAnswer } from '@scratchgpt/instruct';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ServerChatRequest {
  model: string;
  messages: readonly ChatMessage[];
  maxTokens: number;
  temperature: number;
}

/** Listing models is quick: a server that takes longer is not answering. */
const LIST_DEADLINE_MS = 10_000;
/** A whole answer, the wait in the server's queue included. */
const ANSWER_DEADLINE_MS = 5 * 60_000;
const MIB = 1024 * 1024;
const LIST_BYTE_LIMIT = MIB;
/** Far more than any answer of the context lengths served. */
const ANSWER_BYTE_LIMIT = 16 * MIB;

/** The `server` parameter of the page's address as a base URL, or undefined where there is none. */
export function serverFromLocation(search: string): URL | undefined {
  const given = new URLSearchParams(search).get('server');
  if (given === null || given.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(given.trim());
  } catch {
    throw new Error(`?server=${given} is not a URL: give one like http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`?server=${given} must be an http:// or https:// address`);
  url.search = '';
  url.hash = '';
  // The API's paths go under it: http://host:8000 and http://host:8000/ mean the same.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The ids of the models the server lists at GET /v1/models. */
export async function listServerModels(server: URL): Promise<string[]> {
  const response = await request(server, 'v1/models', { signal: AbortSignal.timeout(LIST_DEADLINE_MS) });
  const body = parseJson(await readText(response, LIST_BYTE_LIMIT), server);
  const data = isRecord(body) ? body.data : undefined;
  const ids = Array.isArray(data) ? data.map((model) => (isRecord(model) ? model.id : undefined)) : [];
  if (ids.length === 0 || !ids.every((id): id is string => typeof id === 'string'))
    throw new Error(`${server.origin} is not an OpenAI-compatible server: GET /v1/models lists no models`);
  return ids;
}

/**
 * Streams the answer to the conversation, calling `onText` with the text so far as it grows. Aborting
 * `stop` closes the connection, which makes the server stop generating; the answer then ends 'stopped'.
 */
export async function streamServerChat(
  server: URL,
  chat: ServerChatRequest,
  onText: (text: string) => void,
  stop: AbortSignal,
): Promise<Pick<ChatAnswer, 'text' | 'ended'>> {
  const deadline = AbortSignal.timeout(ANSWER_DEADLINE_MS);
  const body = {
    model: chat.model,
    messages: chat.messages,
    max_tokens: chat.maxTokens,
    temperature: chat.temperature,
    stream: true,
  };
  let text = '';
  try {
    const response = await request(server, 'v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([stop, deadline]),
    });
    if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
      throw new Error(`${server.origin} is not an OpenAI-compatible server: the answer is not a stream`);
    for await (const event of serverSentData(response, ANSWER_BYTE_LIMIT)) {
      if (event === '[DONE]') return { text, ended: 'end-of-text' };
      const chunk = parseJson(event, server);
      const choice = readChoice(chunk, server);
      text += choice.content;
      if (choice.content !== '') onText(text);
      if (choice.finishReason !== null)
        return { text, ended: choice.finishReason === 'length' ? 'token-limit' : 'end-of-text' };
    }
    throw new Error(`${server.origin} closed the answer before it ended`);
  } catch (error) {
    if (stop.aborted) return { text, ended: 'stopped' };
    if (deadline.aborted)
      throw new Error(`${server.origin} did not finish the answer in ${ANSWER_DEADLINE_MS / 60_000} minutes`);
    throw error;
  }
}

/** A fetch whose failures say what went wrong, and an answer that is 2xx or turned into an error. */
async function request(server: URL, path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server), { ...init, credentials: 'omit', redirect: 'error' });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    // A browser gives a server that is down and one that refuses the page's origin the same failure.
    const page = globalThis.location?.origin ?? "the page's origin";
    throw new Error(
      `Could not reach ${server.origin}: is \`scratchgpt serve\` running there, with --allow-origin ${page}?`,
    );
  }
  if (response.ok) return response;
  const text = await readText(response, LIST_BYTE_LIMIT).catch(() => '');
  const message = errorMessage(tryJson(text));
  throw new Error(
    message === undefined
      ? `${server.origin} answered HTTP ${response.status} to /${path}: is it an OpenAI-compatible server?`
      : `${server.origin} refused: ${message} (HTTP ${response.status})`,
  );
}

/** The `data:` payloads of a server-sent event stream, in order, up to `limit` bytes in all. */
async function* serverSentData(response: Response, limit: number): AsyncGenerator<string> {
  let pending = '';
  for await (const text of boundedText(response, limit)) {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('data:')) yield line.slice(5).trim();
  }
}

/** The body's text piece by piece, refused once past `limit` bytes (a hostile server could send forever). */
async function* boundedText(response: Response, limit: number): AsyncGenerator<string> {
  if (Number(response.headers.get('content-length') ?? 0) > limit)
    throw new Error(`The answer is over ${limit / MIB} MiB: not reading it`);
  if (response.body === null) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      bytes += read.value.byteLength;
      if (bytes > limit) throw new Error(`The answer is over ${limit / MIB} MiB: stopped reading it`);
      yield decoder.decode(read.value, { stream: true });
    }
    yield decoder.decode();
  } finally {
    // Stops the download when reading ends early (a limit, an error, an answer complete before EOF).
    void reader.cancel().catch(() => {});
  }
}

/** The text and end of a chat chunk; an error object sent mid-stream is thrown as itself. */
function readChoice(chunk: unknown, server: URL): { content: string; finishReason: string | null } {
  const message = errorMessage(chunk);
  if (message !== undefined) throw new Error(`${server.origin} failed: ${message}`);
  const choice = isRecord(chunk) && Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  if (!isRecord(choice) || !isRecord(choice.delta))
    throw new Error(`${server.origin} is not an OpenAI-compatible server: a chunk has no choice`);
  const content = typeof choice.delta.content === 'string' ? choice.delta.content : '';
  const finishReason = typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  return { content, finishReason };
}

async function readText(response: Response, limit: number): Promise<string> {
  let text = '';
  for await (const piece of boundedText(response, limit)) text += piece;
  return text;
}

/** OpenAI's `{error: {message}}`, or Ollama's `{error: "…"}`. */
function errorMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.error === 'string') return body.error;
  return isRecord(body.error) && typeof body.error.message === 'string' ? body.error.message : undefined;
}

function parseJson(text: string, server: URL): unknown {
  const value = tryJson(text);
  if (value === undefined)
    throw new Error(`${server.origin} is not an OpenAI-compatible server: it sent no JSON`);
  return value;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

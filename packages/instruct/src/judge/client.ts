/**
 * A judge: a larger model behind an HTTP server, asked one prompt at a time. Two protocols: Ollama's
 * `/api/chat` (the book's) and the OpenAI-compatible `/v1/chat/completions`.
 */
import { JudgeError } from './errors.js';
import { checkRequestPolicy, type HttpStatusError, postJson, type RequestPolicy, snippet } from './http.js';
import { ollamaRequest, readOllamaStream } from './ollama.js';
import { openAIRequest, readOpenAIReply } from './openai.js';

export type JudgeApi = 'ollama' | 'openai';

export interface JudgeClientOptions extends Omit<RequestPolicy, 'signal'> {
  /**
   * The server (`http://localhost:11434`, Ollama's default), or the full URL of its chat endpoint;
   * a URL ending in `/v1/chat/completions` or `/v1` means the OpenAI protocol.
   */
  endpoint?: string;
  /** Which protocol; default: from the endpoint's path, else Ollama. */
  api?: JudgeApi;
  /** The judge model (default `llama3`, the book's). */
  model?: string;
  /** Sent as a bearer token (OpenAI protocol). */
  apiKey?: string;
}

export interface JudgeClient {
  readonly api: JudgeApi;
  /** The chat endpoint requests go to. */
  readonly url: string;
  readonly model: string;
  /** The judge's answer to one prompt. */
  ask(prompt: string, signal?: AbortSignal): Promise<string>;
}

export const DEFAULT_ENDPOINT = 'http://localhost:11434';

export function createJudgeClient(options: JudgeClientOptions = {}): JudgeClient {
  checkRequestPolicy(options);
  const { url, api } = chatEndpoint(options.endpoint ?? DEFAULT_ENDPOINT, options.api);
  const model = options.model ?? 'llama3';
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const onStatus = (error: HttpStatusError) => statusError(error, api, url, model);
  return {
    api,
    url,
    model,
    ask(prompt, signal) {
      const policy = { ...options, ...(signal ? { signal } : {}) };
      const protocol =
        api === 'ollama'
          ? { body: ollamaRequest(model, prompt), read: readOllamaStream }
          : { body: openAIRequest(model, prompt), read: readOpenAIReply };
      return postJson({ url, headers, onStatus, ...protocol }, policy);
    },
  };
}

/** The chat URL and its protocol, from a server address or a full endpoint. */
export function chatEndpoint(endpoint: string, api?: JudgeApi): { url: string; api: JudgeApi } {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new JudgeError('unreachable', `'${endpoint}' is not a URL: give one like ${DEFAULT_ENDPOINT}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new JudgeError(
      'unreachable',
      `'${endpoint}' is not an http(s) URL: give one like ${DEFAULT_ENDPOINT}`,
    );
  }
  const base = parsed.href.replace(/\/+$/, '');
  if (base.endsWith('/api/chat')) return { url: base, api: api ?? 'ollama' };
  if (base.endsWith('/v1/chat/completions')) return { url: base, api: api ?? 'openai' };
  if (base.endsWith('/v1')) return { url: `${base}/chat/completions`, api: api ?? 'openai' };
  const chosen = api ?? 'ollama';
  return { url: `${base}${chosen === 'ollama' ? '/api/chat' : '/v1/chat/completions'}`, api: chosen };
}

function statusError(error: HttpStatusError, api: JudgeApi, url: string, model: string): JudgeError {
  if (error.status === 404) return notFound(error.body, api, url, model);
  if (error.status === 401 || error.status === 403) {
    return new JudgeError('refused', `${url} refused the request (HTTP ${error.status}): check the API key`);
  }
  return new JudgeError('server', `${url} answered HTTP ${error.status}${snippet(error.body)}`);
}

/**
 * A 404 is a missing model only where the body says so: Ollama's `{"error": "model … not found"}`,
 * OpenAI's `model_not_found` (vLLM: "The model … does not exist"). Any other 404 comes from a server
 * without that chat API at the URL.
 */
function notFound(body: string, api: JudgeApi, url: string, model: string): JudgeError {
  if (saysModelMissing(body)) {
    return new JudgeError(
      'model-missing',
      api === 'ollama'
        ? `the Ollama server at ${new URL(url).origin} has no model '${model}': pull it with 'ollama pull ${model}'`
        : `${url} answered 404 for model '${model}': the server does not serve that model`,
    );
  }
  const chatApi =
    api === 'ollama' ? 'Ollama chat API (/api/chat)' : 'OpenAI-compatible chat API (/v1/chat/completions)';
  return new JudgeError('no-endpoint', `${url} answered HTTP 404${snippet(body)}: no ${chatApi} there`);
}

function saysModelMissing(body: string): boolean {
  let json: Record<string, unknown>;
  try {
    json = Object(JSON.parse(body));
  } catch {
    return false;
  }
  const error = json.error;
  const detail = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  if (detail.code === 'model_not_found') return true;
  const message = [error, detail.message, json.message].find(
    (text): text is string => typeof text === 'string',
  );
  return message !== undefined && /\bmodel\b.*\b(not found|does not exist)/i.test(message);
}

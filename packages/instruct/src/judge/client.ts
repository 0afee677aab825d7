/**
 * A judge: a larger model behind an HTTP server, asked one prompt at a time. Two protocols: Ollama's
 * `/api/chat` (the book's) and the OpenAI-compatible `/v1/chat/completions`.
 */
import { JudgeError } from './errors.js';
import { type HttpStatusError, postJson, type RequestPolicy } from './http.js';
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
      return api === 'ollama'
        ? postJson(url, ollamaRequest(model, prompt), headers, readOllamaStream, onStatus, policy)
        : postJson(url, openAIRequest(model, prompt), headers, readOpenAIReply, onStatus, policy);
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
  if (error.status === 404) {
    return new JudgeError(
      'model-missing',
      api === 'ollama'
        ? `the Ollama server at ${new URL(url).origin} has no model '${model}': pull it with 'ollama pull ${model}'`
        : `${url} answered 404 for model '${model}': the server does not serve that model (or is not OpenAI-compatible)`,
    );
  }
  if (error.status === 401 || error.status === 403) {
    return new JudgeError('server', `${url} refused the request (HTTP ${error.status}): check the API key`);
  }
  const detail = error.body.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new JudgeError('server', `${url} answered HTTP ${error.status}${detail ? ` (${detail})` : ''}`);
}

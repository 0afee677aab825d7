/**
 * The HTTP server of `scratchgpt serve`: the key check, the routes of both APIs, /health, and errors
 * in each API's own shape. Request bodies are size-limited and must arrive within a deadline; a
 * closing server stops accepting, refuses those waiting and lets the running generation finish.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tf } from '@scratchgpt/tensor';
import { ApiError, ollamaErrorBody, openAIErrorBody } from './api-error.js';
import { applyCors } from './cors.js';
import { Exchange, type ServerState } from './exchange.js';
import { GenerationQueue } from './generation-queue.js';
import { listTags, ollamaGenerate, version } from './ollama-routes.js';
import { complete, listModels } from './openai-routes.js';
import type { ServedModel } from './served-model.js';

export interface ServeOptions {
  models: readonly ServedModel[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, every request needs `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** How many requests may wait while one generates. */
  queueLimit: number;
  bodyLimit: number;
  seed: number;
  /** Web page origins whose scripts may call the server (CORS); none: same-origin pages only. */
  allowOrigins?: readonly string[];
  /** Told of failures no request caused (a bug, a backend error). */
  onError?: (error: Error) => void;
}

export interface RunningServer {
  url: string;
  /** Stops accepting, refuses waiting requests, and resolves once the running one has finished. */
  close(): Promise<void>;
}

/** A whole request must arrive in this time (a slow client cannot hold a connection open for ever). */
const REQUEST_DEADLINE_MS = 60_000;

type Route = (state: ServerState, exchange: Exchange) => void | Promise<void>;

/** Each path, and what each of its methods does. */
const routes: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  // As Ollama does: clients and people check the address with a plain GET.
  '/': { GET: (_, exchange) => exchange.text(200, 'scratchgpt is running\n') },
  '/health': { GET: (state, exchange) => exchange.json(200, health(state)) },
  '/v1/models': { GET: listModels },
  '/v1/chat/completions': { POST: (state, exchange) => complete(state, exchange, 'chat') },
  '/v1/completions': { POST: (state, exchange) => complete(state, exchange, 'completion') },
  '/api/tags': { GET: listTags },
  '/api/version': { GET: (_, exchange) => version(exchange) },
  '/api/generate': { POST: (state, exchange) => ollamaGenerate(state, exchange, 'generate') },
  '/api/chat': { POST: (state, exchange) => ollamaGenerate(state, exchange, 'chat') },
};

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const state: ServerState = {
    models: new Map(options.models.map((served) => [served.name, served])),
    queue: new GenerationQueue(options.queueLimit),
    seed: options.seed,
    bodyLimit: options.bodyLimit,
  };
  const handling = new Set<Promise<void>>();
  const allowOrigins = new Set(options.allowOrigins ?? []);
  const server = createServer((request, response) => {
    if (applyCors(allowOrigins, request, response)) return;
    const handled = handle(state, options, request, response);
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  server.requestTimeout = REQUEST_DEADLINE_MS;
  server.headersTimeout = REQUEST_DEADLINE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await state.queue.close();
        // The answers under way are written out; then no connection is left to keep alive.
        await Promise.all(handling);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

async function handle(
  state: ServerState,
  options: ServeOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const exchange = new Exchange(request, response);
  const path = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  try {
    checkKey(request, options.apiKey);
    const methods = Object.hasOwn(routes, path) ? routes[path]! : undefined;
    if (methods === undefined)
      throw new ApiError(404, `No route ${request.method} ${path}: see GET /v1/models or /api/tags`, {
        code: 'unknown_route',
      });
    const route = Object.hasOwn(methods, request.method ?? '') ? methods[request.method!] : undefined;
    if (route === undefined) {
      const allowed = Object.keys(methods).join(', ');
      throw new ApiError(405, `${path} takes ${allowed}, not ${request.method}`, {
        code: 'method_not_allowed',
        headers: { allow: allowed },
      });
    }
    await route(state, exchange);
  } catch (error) {
    if (exchange.signal.aborted) return; // the client left: no one to answer
    const refusal = error instanceof ApiError ? error : unexpected(error, options);
    try {
      sendError(exchange, refusal, path.startsWith('/api/'));
    } catch {
      response.destroy(); // the connection broke while the error was written: nothing more to say
    }
  }
}

function checkKey(request: IncomingMessage, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim() ?? '';
  const [a, b] = [Buffer.from(given), Buffer.from(apiKey)];
  if (a.length === b.length && timingSafeEqual(a, b)) return;
  throw new ApiError(
    401,
    given === ''
      ? 'This server needs an API key: send the header Authorization: Bearer KEY'
      : 'The API key is wrong: send the key the server was started with',
    { type: 'invalid_request_error', code: 'invalid_api_key' },
  );
}

function unexpected(error: unknown, options: ServeOptions): ApiError {
  const cause = error instanceof Error ? error : new Error(String(error));
  options.onError?.(cause);
  return new ApiError(500, `The server failed: ${cause.message}`);
}

function sendError(exchange: Exchange, error: ApiError, ollama: boolean): void {
  const body = ollama ? ollamaErrorBody(error) : openAIErrorBody(error);
  if (exchange.response.headersSent) {
    // Mid-stream: the status has gone already, so the error is the stream's last message.
    exchange.end(ollama ? `${JSON.stringify(body)}\n` : `data: ${JSON.stringify(body)}\n\n`);
    return;
  }
  // A body refused part-way may be left unread: the connection cannot be reused.
  const close: Record<string, string> = error.status === 413 ? { connection: 'close' } : {};
  exchange.json(error.status, body, { ...error.headers, ...close });
}

function health(state: ServerState): unknown {
  const { queue } = state;
  return {
    status: 'ok',
    models: [...state.models.keys()],
    queue: { running: queue.running, waiting: queue.waiting, limit: queue.limit },
    tensors: tf.memory().numTensors,
  };
}

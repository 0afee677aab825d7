/**
 * One HTTP request and its answer, as the routes see it: the parsed body, JSON and streamed replies,
 * and a signal that aborts when the client goes away (so its generation stops between tokens).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { GenerationQueue } from './generation-queue.js';
import { readJsonObject } from './request-body.js';
import type { ServedModel } from './served-model.js';

/** What every route may use: the models, the one queue, and the server's settings. */
export interface ServerState {
  models: ReadonlyMap<string, ServedModel>;
  queue: GenerationQueue;
  /** The seed of requests that give none. */
  seed: number;
  bodyLimit: number;
}

export class Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly #left = new AbortController();

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.request = request;
    this.response = response;
    response.on('close', () => {
      if (!response.writableFinished) this.#left.abort(new Error('the client closed the connection'));
    });
  }

  /** Aborts when the client disconnects before the answer is complete. */
  get signal(): AbortSignal {
    return this.#left.signal;
  }

  body(limit: number): Promise<Record<string, unknown>> {
    return readJsonObject(this.request, limit);
  }

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    this.response.writeHead(status, { 'content-type': 'application/json', ...headers });
    this.response.end(JSON.stringify(value));
  }

  text(status: number, text: string): void {
    this.response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    this.response.end(text);
  }

  /** Starts a streamed answer of `contentType`; each `write` then sends one piece at once. */
  startStream(contentType: string): void {
    this.response.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    this.response.flushHeaders();
  }

  write(text: string): void {
    if (!this.response.writableEnded && !this.response.destroyed) this.response.write(text);
  }

  end(text?: string): void {
    if (!this.response.writableEnded) this.response.end(text);
  }
}

/** The served model a request names: exactly, or with Ollama's `:latest` tag. */
export function findModel(state: ServerState, name: unknown, param = 'model'): ServedModel {
  if (typeof name !== 'string' || name === '')
    throw new ApiError(400, `'${param}' is required: one of ${[...state.models.keys()].join(', ')}`, {
      param,
      code: 'invalid_value',
    });
  const served = state.models.get(name) ?? state.models.get(name.replace(/:latest$/, ''));
  if (served === undefined) {
    throw new ApiError(
      404,
      `The model '${name}' does not exist here: this server has ${[...state.models.keys()].join(', ')}`,
      { param, code: 'model_not_found' },
    );
  }
  return served;
}

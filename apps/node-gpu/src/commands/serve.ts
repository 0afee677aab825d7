/**
 * `scratchgpt serve`: models over HTTP, in OpenAI's and Ollama's APIs, so their clients can use them.
 * Loopback only unless --host says otherwise. Ctrl-C stops accepting, lets the running generation
 * finish, and exits 0; a second Ctrl-C exits at once.
 */
import { UsageError } from '../errors.js';
import { promptFormatNames } from '../instruct-data.js';
import { weightPrecisionFlags } from '../precision-flag.js';
import { originProblem } from '../serve/cors.js';
import { DEFAULT_BODY_LIMIT } from '../serve/request-body.js';
import { loadServedModels, type ServedModel } from '../serve/served-model.js';
import { startServer } from '../serve/server.js';
import { defineCommand } from './command.js';

export const API_KEY_VARIABLE = 'SCRATCHGPT_API_KEY';

export const serve = defineCommand({
  summary: 'serve models over HTTP with the OpenAI and Ollama APIs',
  usage: ['scratchgpt serve --model [NAME=]DIR|ID [--model …] [--host HOST] [--port N] [--api-key KEY]'],
  description: `Serves models over HTTP for OpenAI and Ollama clients: GET /v1/models, POST /v1/chat/completions
and /v1/completions; GET /api/tags and /api/version, POST /api/chat and /api/generate; GET /health.
A model is named by its directory's base name, its Hub id, or NAME in --model NAME=DIR. An
instruction-tuning run is a chat model in its prompt format; another GPT continues text (completions)
unless --format gives it one. A Qwen3, Llama 3.2 or Gemma 3 checkpoint chats in its own chat template
and stops at its stop ids. Requests are answered one at a time, the others wait in turn.`,
  flags: {
    model: {
      type: 'string',
      value: '[NAME=]DIR|ID',
      required: true,
      multiple: true,
      help: 'a checkpoint or run directory, or a Hugging Face Hub id; repeat to serve several',
    },
    format: {
      type: 'string',
      choices: promptFormatNames,
      defaultText: "none: instruction runs chat in their run's format, open models in their template",
      help: 'the chat prompt format of models that are not instruction-tuning runs',
    },
    host: {
      type: 'string',
      value: 'HOST',
      default: '127.0.0.1',
      help: 'the address to listen on; another than loopback lets other machines in',
    },
    port: {
      type: 'integer',
      value: 'N',
      min: 0,
      max: 65535,
      default: 8000,
      help: 'the port; 0 picks a free one',
    },
    'api-key': {
      type: 'string',
      value: 'KEY',
      defaultText: `$${API_KEY_VARIABLE}, else none`,
      help: 'require Authorization: Bearer KEY on every request',
    },
    'allow-origin': {
      type: 'string',
      value: 'ORIGIN',
      multiple: true,
      defaultText: 'none, same-origin pages only',
      help: 'let pages of ORIGIN (http://host:port) call the API from a browser (CORS); repeatable',
    },
    queue: {
      type: 'integer',
      value: 'N',
      min: 0,
      max: 10_000,
      default: 32,
      help: 'requests that may wait while one generates; more are answered 503 with Retry-After',
    },
    ...weightPrecisionFlags,
  },
  notes: `Ctrl-C (or SIGTERM) stops accepting requests, finishes the running one and exits 0.
With --json: {"event":"listening","url","models":[{"name","source","chat","format"}]} once listening.`,
  async run(values, context) {
    const apiKey = values['api-key'] ?? process.env[API_KEY_VARIABLE];
    if (apiKey !== undefined && apiKey.trim() === '')
      throw new UsageError(`serve: the API key is empty: give --api-key KEY, or unset ${API_KEY_VARIABLE}`);
    const allowOrigins = values['allow-origin'];
    for (const origin of allowOrigins) {
      const problem = originProblem(origin);
      if (problem !== undefined) throw new UsageError(`serve: --allow-origin ${origin} ${problem}`);
    }
    const settings = { chatFormat: values.format, precision: values.precision };
    const models = await loadServedModels(values.model, settings, context);
    const server = await startServer({
      models,
      host: values.host,
      port: values.port,
      ...(apiKey !== undefined ? { apiKey } : {}),
      queueLimit: values.queue,
      allowOrigins,
      bodyLimit: DEFAULT_BODY_LIMIT,
      seed: context.seed,
      onError: (error) => context.output.note(`serve: ${error.message}`),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(
          `serve: port ${values.port} on ${values.host} is in use: choose another --port (0 picks a free one)`,
        );
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        throw new UsageError(`serve: --host ${values.host} is not an address of this machine`);
      throw error;
    });
    const { output } = context;
    output.event({ event: 'listening', url: server.url, models: models.map(describe) });
    output.note(`serving ${models.map(summary).join(', ')} at ${server.url} (Ctrl-C stops)`);
    if (!isLoopback(values.host) && apiKey === undefined)
      output.note(
        `note: --host ${values.host} accepts requests from other machines, and no --api-key is set`,
      );
    await stopSignal(() => output.note('stopping: no new requests; finishing the running one'));
    await server.close();
    return 0;
  },
});

function describe(served: ServedModel) {
  return {
    name: served.name,
    source: served.source,
    chat: served.format !== undefined,
    format: served.format?.name ?? null,
  };
}

function summary(served: ServedModel): string {
  return `${served.name} (${served.format ? `chat, ${served.format.name} prompts` : 'completions only'})`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Resolves at the first SIGINT or SIGTERM; a second one exits at once. */
function stopSignal(onStop: () => void): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      onStop();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

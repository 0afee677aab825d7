/**
 * Ollama's API: GET /api/tags and /api/version, POST /api/generate and /api/chat, streamed as JSON
 * lines by default (the last one `"done": true`), or one object with `"stream": false`.
 */
import { createHash } from 'node:crypto';
import cli from '../../package.json' with { type: 'json' };
import { badField } from './api-error.js';
import { type Exchange, findModel, type ServerState } from './exchange.js';
import { optionalBoolean, optionalNumber, optionalObject, stopStrings } from './fields.js';
import { type GenerationRequest, type GenerationResult, runGeneration } from './generation.js';
import { MAX_TOKENS } from './openai-routes.js';
import { chatPromptIds, completionPromptIds, readMessages } from './prompts.js';
import type { ServedModel } from './served-model.js';

export function listTags(state: ServerState, exchange: Exchange): void {
  const models = [...state.models.values()].map((served) => ({
    name: served.name,
    model: served.name,
    modified_at: new Date(served.loadedAt * 1000).toISOString(),
    size: served.parameters * 4,
    digest: createHash('sha256').update(served.source).digest('hex'),
    details: {
      parent_model: '',
      format: 'safetensors',
      family: served.family,
      families: [served.family],
      parameter_size: parameterSize(served.parameters),
      quantization_level: 'F32', // loaded as float32, whatever the file stores
    },
  }));
  exchange.json(200, { models });
}

export function version(exchange: Exchange): void {
  exchange.json(200, { version: cli.version });
}

type Kind = 'chat' | 'generate';

export async function ollamaGenerate(state: ServerState, exchange: Exchange, kind: Kind): Promise<void> {
  const body = await exchange.body(state.bodyLimit);
  const served = findModel(state, body.model);
  const started = process.hrtime.bigint();
  const prompt = kind === 'generate' ? optionalPrompt(body) : undefined;
  if (kind === 'generate' && prompt === undefined) {
    // Ollama answers a request without a prompt by loading the model; here it is loaded already.
    return exchange.json(200, { ...stamp(served), response: '', done: true, done_reason: 'load' });
  }
  const promptIds =
    kind === 'chat'
      ? chatPromptIds(served, readMessages(body.messages))
      : generatePromptIds(served, body, prompt as string);
  const request = readOptions(body, state, served, promptIds);
  const stream = optionalBoolean(body, 'stream') !== false;
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;
  const content = (text: string) =>
    kind === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text };
  const result = await state.queue.run(() => {
    if (stream) exchange.startStream('application/x-ndjson');
    const onText = (piece: string) =>
      exchange.write(line({ ...stamp(served), ...content(piece), done: false }));
    return runGeneration(served, request, {
      signal: exchange.signal,
      ...(stream ? { onText } : {}),
    });
  }, exchange.signal);
  if (result.cancelled) return exchange.end();
  const last = { ...stamp(served), ...content(stream ? '' : result.text), ...doneFields(result, started) };
  if (stream) exchange.end(line(last));
  else exchange.json(200, last);
}

function optionalPrompt(body: Record<string, unknown>): string | undefined {
  const prompt = body.prompt;
  if (prompt === undefined || prompt === null || prompt === '') return undefined;
  if (typeof prompt !== 'string') throw badField('prompt', 'must be a string');
  return prompt;
}

/** A chat model reads the prompt in its format (with `system` before it) unless `raw` asks otherwise. */
function generatePromptIds(served: ServedModel, body: Record<string, unknown>, prompt: string): number[] {
  const raw = optionalBoolean(body, 'raw') === true;
  if (served.format === undefined || raw) return completionPromptIds(served, prompt);
  const system = body.system;
  const messages = [
    ...(typeof system === 'string' && system !== '' ? [{ role: 'system' as const, content: system }] : []),
    { role: 'user' as const, content: prompt },
  ];
  return chatPromptIds(served, messages);
}

function readOptions(
  body: Record<string, unknown>,
  state: ServerState,
  served: ServedModel,
  promptIds: number[],
): GenerationRequest {
  const options = optionalObject(body, 'options');
  const at = (name: string) => `options.${name}`;
  // -1 (no limit) and -2 (fill the context) both mean: up to the end of the context.
  const numPredict = optionalNumber(
    options,
    'num_predict',
    { min: -2, max: MAX_TOKENS, integer: true },
    at('num_predict'),
  );
  const topP = optionalNumber(options, 'top_p', { min: 0, max: 1, exclusiveMin: true }, at('top_p'));
  const topK = optionalNumber(
    options,
    'top_k',
    { min: 1, max: served.config.vocabSize, integer: true },
    at('top_k'),
  );
  const maxTokens =
    numPredict === undefined || numPredict < 0
      ? Math.max(1, served.config.contextLength - promptIds.length)
      : numPredict;
  return {
    promptIds,
    maxTokens,
    temperature: optionalNumber(options, 'temperature', { min: 0, max: 2 }, at('temperature')) ?? 0.8,
    ...(topP !== undefined ? { topP } : {}),
    ...(topK !== undefined ? { topK } : {}),
    seed:
      optionalNumber(options, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }, at('seed')) ?? state.seed,
    stop: stopStrings(options, 'stop', at('stop')),
  };
}

function stamp(served: ServedModel) {
  return { model: served.name, created_at: new Date().toISOString() };
}

function doneFields(result: GenerationResult, started: bigint) {
  return {
    done: true,
    done_reason: result.finishReason,
    total_duration: Number(process.hrtime.bigint() - started),
    prompt_eval_count: result.promptTokens,
    eval_count: result.completionTokens,
  };
}

/** Ollama's way of writing a size: 1.6M, 124M, 1.5B. */
function parameterSize(parameters: number): string {
  if (parameters >= 1e9) return `${(parameters / 1e9).toFixed(1)}B`;
  if (parameters >= 1e6) return `${(parameters / 1e6).toFixed(parameters >= 1e8 ? 0 : 1)}M`;
  return `${Math.round(parameters / 1e3)}K`;
}

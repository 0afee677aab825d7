/**
 * `scratchgpt serve` under pressure: the API key, a full queue (503 with Retry-After), clients that
 * leave (their generation stops, the queue frees) and Ctrl-C (the running answer is finished, exit 0).
 */

import { phi3 } from '@scratchgpt/instruct';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-harness.js';
import {
  makeServedModels,
  type ServedModels,
  type ServeProcess,
  startServe,
  waitForHealth,
} from './serve-harness.js';

let models: ServedModels;
let server: ServeProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  models = await makeServedModels();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const completion = (maxTokens: number, stream: boolean) =>
  JSON.stringify({ model: 'pretrained', prompt: 'Every effort moves you', max_tokens: maxTokens, stream });

/** Starts a streamed completion that would run for a long time, and waits for its first piece. */
async function longStream(
  url: string,
): Promise<{ controller: AbortController; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    body: completion(100_000, true),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  await reader.read();
  return { controller, reader };
}

describe('serve --api-key', () => {
  it('answers 401 without the key or with a wrong one, in each API’s shape, and serves with it', async () => {
    server = await startServe(['--model', models.pretrained], { SCRATCHGPT_API_KEY: 'open-sesame' });
    const missing = await fetch(`${server.url}/v1/models`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      error: {
        message: 'This server needs an API key: send the header Authorization: Bearer KEY',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const ollamaMissing = await fetch(`${server.url}/api/tags`);
    expect(ollamaMissing.status).toBe(401);
    expect(await ollamaMissing.json()).toEqual({
      error: 'This server needs an API key: send the header Authorization: Bearer KEY',
    });
    const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'open-sesam', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('The API key is wrong'),
    });
    const right = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'open-sesame', maxRetries: 0 });
    expect((await right.models.list()).data.map((model) => model.id)).toEqual(['pretrained']);
    const ollama = new Ollama({ host: server.url, headers: { authorization: 'Bearer open-sesame' } });
    expect((await ollama.list()).models.map((model) => model.name)).toEqual(['pretrained']);
  });
});

describe('serve --format, and its address', () => {
  it('chats with a plain GPT in the format given, listens on loopback, and refuses a port in use', async () => {
    server = await startServe(['--model', models.pretrained, '--format', 'phi3']);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    const chat = await client.chat.completions.create({
      model: 'pretrained',
      messages: [{ role: 'user', content: 'Hi.' }],
      max_tokens: 1,
    });
    const tokenizer = getGPT2Tokenizer();
    expect(chat.usage?.prompt_tokens).toBe(tokenizer.encode(phi3.conversation([], 'Hi.')).length);
    const port = new URL(server.url).port;
    const taken = await runCli(['serve', '--model', models.pretrained, '--port', port, '--backend', 'wasm']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(
      `scratchgpt: serve: port ${port} on 127.0.0.1 is in use: choose another --port (0 picks a free one)`,
    );
  });
});

describe('the queue', () => {
  it('refuses past its bound with 503 and Retry-After; a client that leaves frees its place and stops its generation', async () => {
    server = await startServe(['--model', models.pretrained, '--queue', '1']);
    const { url } = server;
    const running = await longStream(url);
    const waitingController = new AbortController();
    const waiting = fetch(`${url}/v1/completions`, {
      method: 'POST',
      body: completion(3, false),
      signal: waitingController.signal,
    }).catch((error: Error) => error);
    await waitForHealth(url, (health) => health.queue.waiting === 1);
    const refused = await fetch(`${url}/v1/completions`, { method: 'POST', body: completion(3, false) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({
      error: { code: 'queue_full', message: expect.stringContaining('The server is busy') },
    });
    waitingController.abort();
    expect(await waiting).toBeInstanceOf(Error);
    expect((await waitForHealth(url, (health) => health.queue.waiting === 0)).queue.running).toBe(1);
    running.controller.abort();
    await waitForHealth(url, (health) => health.queue.running === 0);
    const next = await fetch(`${url}/v1/completions`, { method: 'POST', body: completion(3, false) });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
  });
});

describe('Ctrl-C', () => {
  it('stops accepting, finishes the running answer, and exits 0', async () => {
    const serving = await startServe(['--model', models.pretrained]);
    const response = await fetch(`${serving.url}/v1/completions`, {
      method: 'POST',
      body: completion(400, true),
    });
    const reader = response.body!.getReader();
    await reader.read();
    serving.child.kill('SIGINT');
    let rest = '';
    const decoder = new TextDecoder();
    for (let part = await reader.read(); !part.done; part = await reader.read())
      rest += decoder.decode(part.value);
    const events = rest.split('\n\n').filter((event) => event !== '');
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(events.at(-2)!.slice('data: '.length)).choices[0].finish_reason).toBe('length');
    const exit = await serving.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toContain('stopping: no new requests; finishing the running one');
    await expect(fetch(`${serving.url}/health`)).rejects.toThrow();
  });
});

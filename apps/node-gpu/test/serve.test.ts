/**
 * `scratchgpt serve` through the official OpenAI and Ollama clients, and raw HTTP for what clients
 * never send: greedy answers equal `generate` token for token, streamed equals whole, stop strings
 * are cut, counts and finish reasons are right, and every bad request is a clear error status.
 */
import { alpaca } from '@scratchgpt/instruct';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-harness.js';
import {
  backend,
  type HealthReport,
  makeServedModels,
  type ServedModels,
  type ServeProcess,
  startServe,
  waitForHealth,
} from './serve-harness.js';

const tokenizer = getGPT2Tokenizer();
const prompt = 'Every effort moves you';
let models: ServedModels;
let server: ServeProcess;
let openai: OpenAI;
let ollama: Ollama;
let healthAtStart: HealthReport;
/** `scratchgpt generate`'s greedy tokens after `prompt`. */
let generated: { tokenIds: number[]; promptTokenIds: number[] };

beforeAll(async () => {
  assertBuilt();
  models = await makeServedModels();
  server = await startServe([
    '--model',
    models.pretrained,
    '--model',
    models.tuned,
    '--model',
    `terse=${models.terse}`,
  ]);
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  ollama = new Ollama({ host: server.url });
  // Each model's first forward pass keeps a tensor it reuses (one per model); from then on, none.
  for (const model of ['pretrained', 'tuned', 'terse'])
    await openai.completions.create({ model, prompt, max_tokens: 1 });
  healthAtStart = await waitForHealth(server.url, () => true);
  const result = await runCli([
    'generate',
    '--model',
    models.pretrained,
    '--prompt',
    prompt,
    '--max-new-tokens',
    '12',
    '--seed',
    '5',
    '--json',
    ...backend,
  ]);
  expect(result.code, result.stderr).toBe(0);
  generated = JSON.parse(result.stdout);
});
afterAll(async () => {
  const exit = await server?.stop();
  expect(exit?.code).toBe(0);
});

/** The completion `generate` was asked for, greedy (the seed does not matter at temperature 0). */
const greedy = { model: 'pretrained', prompt, max_tokens: 12, temperature: 0 };
const greedyText = () => tokenizer.decode(generated.tokenIds);
const promptLength = (text: string) => tokenizer.encode(text, { allowedSpecial: 'all' }).length;

describe('OpenAI API', () => {
  it('lists the models by directory base name and by the name given', async () => {
    const list = await openai.models.list();
    expect(list.data.map((model) => model.id)).toEqual(['pretrained', 'tuned', 'terse']);
  });

  it('answers a greedy completion with exactly the tokens of scratchgpt generate, with its counts', async () => {
    const completion = await openai.completions.create({ ...greedy, seed: 5 });
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ text: greedyText(), finish_reason: 'length' });
    expect(tokenizer.encode(completion.choices[0]!.text)).toEqual(generated.tokenIds);
    expect(completion.usage).toEqual({
      prompt_tokens: generated.promptTokenIds.length,
      completion_tokens: 12,
      total_tokens: generated.promptTokenIds.length + 12,
    });
  });

  it('streams the same completion in pieces', async () => {
    const stream = await openai.completions.create({ ...greedy, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((chunk) => chunk.choices[0]!.text).join('')).toBe(greedyText());
    expect(chunks.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual([
      ...Array(chunks.length - 1).fill(null),
      'length',
    ]);
  });

  it('cuts the text before a stop string, streamed or not, and finishes with stop', async () => {
    const full = greedyText();
    const stop = tokenizer.decode([generated.tokenIds[4]!]);
    const expected = full.slice(0, full.indexOf(stop));
    const settings = { ...greedy, stop: ['\u0000', stop] };
    const whole = await openai.completions.create(settings);
    expect(whole.choices[0]).toMatchObject({ text: expected, finish_reason: 'stop' });
    const stream = await openai.completions.create({ ...settings, stream: true });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]!.text;
    expect(streamed).toBe(expected);
  });

  it('finishes with stop at <|endoftext|>, which is not counted', async () => {
    const completion = await openai.completions.create({ model: 'terse', prompt, max_tokens: 5 });
    expect(completion.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
    expect(completion.usage?.completion_tokens).toBe(0);
  });

  it("chats in the run's Alpaca format, streamed equal to whole, with the usage chunk asked for", async () => {
    const messages = [
      { role: 'system' as const, content: 'Answer briefly.' },
      { role: 'user' as const, content: 'Name a primary color.' },
    ];
    const settings = { model: 'tuned', messages, max_tokens: 6, temperature: 0 };
    const whole = await openai.chat.completions.create(settings);
    const promptTokens = promptLength(alpaca.conversation([], 'Answer briefly.\n\nName a primary color.'));
    expect(whole.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: 6,
      total_tokens: promptTokens + 6,
    });
    expect(whole.choices[0]).toMatchObject({ finish_reason: 'length', message: { role: 'assistant' } });
    const stream = await openai.chat.completions.create({
      ...settings,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      whole.choices[0]!.message.content,
    );
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.at(-1)!.usage).toEqual(whole.usage);
  });

  it('writes earlier turns into the prompt: user, assistant, user', async () => {
    const chat = await openai.chat.completions.create({
      model: 'tuned',
      messages: [
        { role: 'user', content: 'Hi.' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Name a color.' },
      ],
      max_tokens: 1,
    });
    const expected = alpaca.conversation([{ user: 'Hi.', assistant: 'Hello.' }], 'Name a color.');
    expect(chat.usage?.prompt_tokens).toBe(promptLength(expected));
  });

  it('refuses, as the client reports: chat with a plain GPT, an unknown model, n > 1, a prompt past the context', async () => {
    const messages = [{ role: 'user' as const, content: 'Hi' }];
    await expect(openai.chat.completions.create({ model: 'pretrained', messages })).rejects.toMatchObject({
      status: 400,
      code: 'model_not_chat',
      message: expect.stringContaining("The model 'pretrained' is a plain GPT without a prompt format"),
    });
    await expect(openai.completions.create({ model: 'gpt-4', prompt })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
      message: expect.stringContaining(
        "The model 'gpt-4' does not exist here: this server has pretrained, tuned, terse",
      ),
    });
    await expect(openai.completions.create({ model: 'pretrained', prompt, n: 2 })).rejects.toMatchObject({
      status: 400,
      param: 'n',
    });
    await expect(
      openai.completions.create({ model: 'pretrained', prompt: 'word '.repeat(300) }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      message: expect.stringContaining('The prompt is 301 tokens, longer than the 256-token context'),
    });
  });
});

describe('Ollama API', () => {
  it('lists the models and the version', async () => {
    const { models: tags } = await ollama.list();
    expect(tags.map((tag) => tag.name)).toEqual(['pretrained', 'tuned', 'terse']);
    expect(tags[0]!.details).toMatchObject({
      format: 'safetensors',
      family: 'gpt2',
      quantization_level: 'F32',
    });
    expect((await ollama.version()).version).toBe('0.1.0');
  });

  it('generates the greedy tokens of scratchgpt generate, whole and streamed', async () => {
    const settings = {
      model: 'pretrained:latest',
      prompt,
      options: { temperature: 0, num_predict: 12, seed: 5 },
    };
    const whole = await ollama.generate({ ...settings, stream: false });
    expect(whole).toMatchObject({
      response: greedyText(),
      done: true,
      done_reason: 'length',
      prompt_eval_count: generated.promptTokenIds.length,
      eval_count: 12,
    });
    const parts = [];
    for await (const part of await ollama.generate({ ...settings, stream: true })) parts.push(part);
    expect(parts.map((part) => part.response).join('')).toBe(greedyText());
    expect(parts.map((part) => part.done)).toEqual([...Array(parts.length - 1).fill(false), true]);
  });

  it('chats, streamed, with the same answer as the OpenAI route; stop at <|endoftext|> says stop', async () => {
    const messages = [{ role: 'user', content: 'Name a primary color.' }];
    const openAIAnswer = await openai.chat.completions.create({
      model: 'tuned',
      messages: [{ role: 'user', content: 'Name a primary color.' }],
      max_tokens: 6,
      temperature: 0,
    });
    const parts = [];
    const stream = await ollama.chat({
      model: 'tuned',
      messages,
      stream: true,
      options: { temperature: 0, num_predict: 6 },
    });
    for await (const part of stream) parts.push(part);
    expect(parts.map((part) => part.message.content).join('')).toBe(openAIAnswer.choices[0]!.message.content);
    expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'length', eval_count: 6 });
    const terse = await ollama.generate({ model: 'terse', prompt, stream: false });
    expect(terse).toMatchObject({ response: '', done_reason: 'stop', eval_count: 0 });
  });

  it('cuts stop strings and refuses an unknown model with a 404 the client reports', async () => {
    const full = greedyText();
    const stop = tokenizer.decode([generated.tokenIds[4]!]);
    const answer = await ollama.generate({
      model: 'pretrained',
      prompt,
      stream: false,
      options: { temperature: 0, num_predict: 12, stop: [stop] },
    });
    expect(answer).toMatchObject({ response: full.slice(0, full.indexOf(stop)), done_reason: 'stop' });
    await expect(ollama.generate({ model: 'llama3', prompt })).rejects.toMatchObject({
      status_code: 404,
      error: expect.stringContaining("The model 'llama3' does not exist here"),
    });
  });
});

describe('bad requests', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: Record<string, unknown> }).error;

  it('answers malformed JSON and wrong types with a 400 naming the problem', async () => {
    const malformed = await post('/v1/completions', '{"model": "pretrained", ');
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    const notObject = await post('/v1/completions', '[1, 2]');
    expect(await errorOf(notObject)).toMatchObject({ message: 'The request body must be a JSON object' });
    const hot = await post(
      '/v1/completions',
      JSON.stringify({ model: 'pretrained', prompt, temperature: 'hot' }),
    );
    expect(hot.status).toBe(400);
    expect(await errorOf(hot)).toEqual({
      message: `'temperature' must be a number at least 0 and at most 2, got "hot"`,
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'invalid_value',
    });
    const role = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'tuned', messages: [{ role: 'robot', content: 'Hi' }] }),
    );
    expect(await errorOf(role)).toMatchObject({ param: 'messages[0].role' });
    const stops = await post('/v1/completions', JSON.stringify({ model: 'pretrained', prompt, stop: [''] }));
    expect(await errorOf(stops)).toMatchObject({ param: 'stop' });
    const numPredict = await post(
      '/api/generate',
      JSON.stringify({ model: 'pretrained', prompt, options: { num_predict: 1.5 } }),
    );
    expect(numPredict.status).toBe(400);
    expect(await numPredict.json()).toEqual({
      error: `'options.num_predict' must be an integer at least -2 and at most 100000, got 1.5`,
    });
  });

  it('refuses a body over the limit with 413, and unknown routes and methods with 404 and 405', async () => {
    const huge = await post(
      '/v1/completions',
      JSON.stringify({ model: 'pretrained', prompt: 'x'.repeat(2 * 1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
    expect(await errorOf(huge)).toMatchObject({ code: 'request_too_large' });
    expect(await (await fetch(server.url)).text()).toBe('scratchgpt is running\n');
    const unknown = await fetch(`${server.url}/v2/engines`);
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'unknown_route' });
    const method = await fetch(`${server.url}/v1/models`, { method: 'DELETE' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET');
    const getChat = await fetch(`${server.url}/api/chat`);
    expect(getChat.status).toBe(405);
    expect(await getChat.json()).toEqual({ error: '/api/chat takes POST, not GET' });
  });

  it('still answers afterwards, and holds no more tensors than before all the requests', async () => {
    const health = await waitForHealth(server.url, () => true);
    expect(health).toEqual(healthAtStart);
    expect(health.queue).toEqual({ running: 0, waiting: 0, limit: 32 });
  });
});

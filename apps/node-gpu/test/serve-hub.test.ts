/**
 * `serve --model gpt2` from a Hub on loopback: the model is named by its Hub id, and a greedy
 * completion through the server gives PyTorch's greedy tokens for the reference model.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeHub } from '@scratchgpt/hub/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './cli-harness.js';
import { type ServeProcess, startServe } from './serve-harness.js';
import { greedyIds, promptIds, startTinyGpt2Hub } from './tiny-gpt2-hub.js';

let hub: FakeHub;
let server: ServeProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  hub = await startTinyGpt2Hub();
  const work = await mkdtemp(join(tmpdir(), 'scratchgpt-serve-hub-'));
  server = await startServe(['--model', 'gpt2'], {
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: join(work, 'cache'),
    HF_TOKEN: undefined,
    HF_HUB_OFFLINE: undefined,
    SCRATCHGPT_CACHE: join(work, 'own'),
  });
});
afterAll(async () => {
  await server?.stop();
  await hub?.close();
});

describe('serve a Hub model', () => {
  it("is named by its id and continues the prompt with PyTorch's greedy tokens", async () => {
    const client = new OpenAI({ baseURL: `${server!.url}/v1`, apiKey: 'none', maxRetries: 0 });
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(['gpt2']);
    const tokenizer = getGPT2Tokenizer();
    const completion = await client.completions.create({
      model: 'gpt2',
      prompt: tokenizer.decode(promptIds),
      max_tokens: greedyIds.length,
      temperature: 0,
    });
    expect(completion.choices[0]!.text).toBe(tokenizer.decode(greedyIds));
    expect(completion.usage).toMatchObject({
      prompt_tokens: promptIds.length,
      completion_tokens: greedyIds.length,
    });
  });
});

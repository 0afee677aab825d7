import { Generator, initBackend } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { generate, generateStream } from './generate.js';
import { GPTModel } from './gpt-model.js';

let model: GPTModel;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  model = new GPTModel(preset('gpt-nano', { vocabSize: 64, contextLength: 12, dropRate: 0.1 }), {
    generator: new Generator(42),
  });
});

describe('generate', () => {
  it('greedy gives the same tokens with and without the KV cache, also past the context', async () => {
    for (const prompt of [[1, 2, 3], [5], Array.from({ length: 15 }, (_, i) => (i * 7) % 64)]) {
      const cached = await generate(model, prompt, { maxNewTokens: 14, useCache: true });
      const uncached = await generate(model, prompt, { maxNewTokens: 14, useCache: false });
      expect(cached).toHaveLength(14);
      expect(cached).toEqual(uncached);
    }
  });

  it('crops long prompts to the last contextLength tokens', async () => {
    const tail = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12];
    const long = [40, 41, 42, ...tail];
    expect(await generate(model, long, { maxNewTokens: 3 })).toEqual(
      await generate(model, tail, { maxNewTokens: 3 }),
    );
  });

  it('samples reproducibly for a seed, and differently for another', async () => {
    const options = { maxNewTokens: 12, temperature: 1.5, topK: 20 };
    const a = await generate(model, [1, 2], { ...options, seed: 1 });
    expect(await generate(model, [1, 2], { ...options, seed: 1 })).toEqual(a);
    expect(await generate(model, [1, 2], { ...options, seed: 2 })).not.toEqual(a);
    expect(await generate(model, [1, 2], { ...options, generator: new Generator(1) })).toEqual(a);
    expect(await generate(model, [1, 2], { ...options, seed: 1, useCache: false })).toEqual(a);
  });

  it('stops at the end-of-text token, returning it', async () => {
    const greedy = await generate(model, [3, 4], { maxNewTokens: 10 });
    const eosId = greedy[3]!;
    const stopped = await generate(model, [3, 4], { maxNewTokens: 10, eosId });
    expect(stopped).toEqual(greedy.slice(0, greedy.indexOf(eosId) + 1));
  });

  it('stops at the first of several stop ids', async () => {
    const greedy = await generate(model, [3, 4], { maxNewTokens: 10 });
    const [early, late] = [greedy[2]!, greedy[5]!];
    const end = Math.min(greedy.indexOf(early), greedy.indexOf(late));
    const stopped = await generate(model, [3, 4], { maxNewTokens: 10, eosId: [late, early] });
    expect(stopped).toEqual(greedy.slice(0, end + 1));
    expect(await generate(model, [3, 4], { maxNewTokens: 10, eosId: [] })).toEqual(greedy);
  });

  it('runs in eval mode and restores the mode it found', async () => {
    model.train();
    const first = await generate(model, [1], { maxNewTokens: 5 });
    expect(model.training).toBe(true);
    expect(await generate(model, [1], { maxNewTokens: 5 })).toEqual(first);
  });

  it('refuses empty prompts and ids outside the vocabulary', async () => {
    await expect(generate(model, [], { maxNewTokens: 2 })).rejects.toThrow('The prompt is empty');
    await expect(generate(model, [64], { maxNewTokens: 2 })).rejects.toThrow(
      "Token id 64 is outside the model's vocabulary [0, 64)",
    );
  });
});

describe('generateStream', () => {
  it('yields tokens one at a time and stops when its signal aborts', async () => {
    const controller = new AbortController();
    const received: number[] = [];
    for await (const token of generateStream(model, [1, 2, 3], {
      maxNewTokens: 50,
      signal: controller.signal,
    })) {
      received.push(token);
      if (received.length === 3) controller.abort();
    }
    expect(received).toHaveLength(3);
  });

  it('honours an abort from a timer while generating', async () => {
    const controller = new AbortController();
    const received: number[] = [];
    setTimeout(() => controller.abort(), 30);
    for await (const token of generateStream(model, [1], {
      maxNewTokens: 100_000,
      signal: controller.signal,
    })) {
      received.push(token);
    }
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(100_000);
    expect(controller.signal.aborted).toBe(true);
  });
});

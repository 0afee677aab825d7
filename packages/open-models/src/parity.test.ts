/**
 * Parity with the PyTorch reference decoders of tools/reference/open_models.py: for each family, a
 * small random model's logits within 1e-4 on every backend, and greedy continuations with and without
 * the KV cache, through gpt-model's generation loop, equal to PyTorch's; and Gemma 3's with a linear
 * rope scaling.
 */
import { generate } from '@scratchgpt/gpt-model';
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import type { DecoderModel } from './blocks/decoder-model.js';
import type { Gemma3Config } from './gemma3/config.js';
import { Gemma3Model } from './gemma3/model.js';
import { Llama3Model } from './llama3/model.js';
import { Qwen3Model } from './qwen3/model.js';
import { fixtureJson, fixtureModel, fixtureTensors, intTensor } from './test-support/fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: each family's config type is read from its fixture
const families: Array<[string, (config: any) => DecoderModel]> = [
  ['qwen3-tiny', (config) => new Qwen3Model(config)],
  ['llama3-tiny', (config) => new Llama3Model(config)],
  ['gemma3-tiny', (config) => new Gemma3Model(config)],
];

const backends = await findTestBackends();

describe.each(backends)('PyTorch parity on $backend', ({ backend, available }) => {
  describe.each(families)('%s', (fixture, build) => {
    const io = fixtureTensors(fixture, 'io.safetensors');

    it.skipIf(!available)('gives the logits within 1e-4, leaving no tensors behind', async () => {
      await initBackend({ prefer: backend });
      const before = tf.memory().numTensors;
      const model = fixtureModel(fixture, build).eval();
      const ids = intTensor(io('input_ids'));
      const logits = model.forward(ids);
      expect(logits.shape).toEqual(io('logits').shape);
      expect(maxAbsDiff(await logits.data(), io('logits').data)).toBeLessThanOrEqual(1e-4);
      tf.dispose([ids, logits]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it.skipIf(!available)('continues greedily as PyTorch does, with and without the KV cache', async () => {
      await initBackend({ prefer: backend });
      const model = fixtureModel(fixture, build);
      const prompt = Array.from(io('prompt_ids').data);
      const expected = Array.from(io('greedy_ids').data).slice(prompt.length);
      const before = tf.memory().numTensors;
      for (const useCache of [true, false]) {
        const maxNewTokens = expected.length;
        expect(await generate(model, prompt, { maxNewTokens, useCache })).toEqual(expected);
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });

  describe("gemma3-tiny with a linear rope scaling (factor 8, the full layer's only)", () => {
    const io = fixtureTensors('gemma3-tiny', 'io.safetensors');
    const scaled = fixtureTensors('gemma3-tiny', 'rope-linear.safetensors');
    const config = fixtureJson<Gemma3Config>('gemma3-tiny', 'rope-linear.json');

    it.skipIf(!available)(
      'gives the logits within 1e-4 and the greedy tokens, with the cache too',
      async () => {
        await initBackend({ prefer: backend });
        expect(config.ropeLinearFactor).toBe(8);
        const model = fixtureModel('gemma3-tiny', () => new Gemma3Model(config)).eval();
        const ids = intTensor(io('input_ids'));
        const logits = model.forward(ids);
        expect(maxAbsDiff(await logits.data(), scaled('logits').data)).toBeLessThanOrEqual(1e-4);
        // The scaling shows: the unscaled model's logits are far from these.
        expect(maxAbsDiff(io('logits').data, scaled('logits').data)).toBeGreaterThan(0.1);
        const prompt = Array.from(io('prompt_ids').data);
        const expected = Array.from(scaled('greedy_ids').data).slice(prompt.length);
        for (const useCache of [true, false]) {
          expect(await generate(model, prompt, { maxNewTokens: expected.length, useCache })).toEqual(
            expected,
          );
        }
        tf.dispose([ids, logits]);
        model.dispose();
      },
    );
  });
});

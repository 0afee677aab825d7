/**
 * Generation with the KV cache on Gemma 3's fixture model (sliding window 12): the sliding
 * layers hold no more than their window while the greedy tokens stay those of the run without a cache.
 */
import { generate } from '@scratchgpt/gpt-model';
import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gemma3Model } from '../gemma3/model.js';
import { fixtureModel, fixtureTensors } from '../test-support/fixtures.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('the KV cache of sliding-window layers', () => {
  it('never holds more than the window, with the tokens of the run without a cache', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the config type is read from the fixture
    const model = fixtureModel('gemma3-tiny', (config: any) => new Gemma3Model(config)).eval();
    const window = model.config.slidingWindow as number;
    // A prompt shorter than the window, then well past it, token by token.
    const prompt = Array.from(fixtureTensors('gemma3-tiny', 'io.safetensors')('prompt_ids').data).slice(0, 4);
    const newTokens = 20;
    const expected = await generate(model, prompt, { maxNewTokens: newTokens, useCache: false });

    const before = tf.memory().numTensors;
    const cache = model.createCache();
    const ids = [...prompt];
    let fresh = prompt;
    const held = { sliding: 0, full: 0 };
    for (let step = 0; step < newTokens; step++) {
      const next = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d([fresh], [1, fresh.length], 'int32'), { cache });
        return tf.argMax(tf.reshape(tf.slice(logits, [0, fresh.length - 1, 0], [1, 1, -1]), [-1]));
      });
      fresh = [(await next.data())[0] as number];
      next.dispose();
      ids.push(fresh[0] as number);
      model.config.layerTypes.forEach((type, i) => {
        const layer = cache.layer(i);
        expect(layer.length).toBe(ids.length - 1);
        if (type === 'full') expect(layer.heldLength).toBe(layer.length);
        held[type] = Math.max(held[type], layer.heldLength);
      });
    }
    expect(ids.slice(prompt.length)).toEqual(expected);
    expect(held).toEqual({ sliding: window - 1, full: prompt.length + newTokens - 1 });
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

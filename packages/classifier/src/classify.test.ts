import { initBackend, tf } from '@scratchgpt/tensor';
import { getGPT2Tokenizer, type Tokenizer } from '@scratchgpt/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { classify, classifyTexts } from './classify.js';
import type { GPTClassifier } from './model/gpt-classifier.js';
import { settingsOf, tinyClassifier } from './test-support/tiny.js';

const tokenizer = getGPT2Tokenizer();

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Class logits of one text padded to `length` tokens. */
async function paddedLogits(model: GPTClassifier, text: string, length: number): Promise<Float32Array> {
  const tokens = tokenizer.encode(text);
  const ids = new Int32Array(length).fill(50256);
  ids.set(tokens);
  const out = model.eval().forward(tf.tensor2d(ids, [1, length], 'int32'), [tokens.length]);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

describe('classify', () => {
  it('gives the most likely class and every probability', async () => {
    const model = tinyClassifier({ seed: 2 });
    const settings = settingsOf(model, { maxLength: 6 });
    const results = await classifyTexts(
      model,
      tokenizer,
      ['Win cash now', 'See you at dinner', 'word '.repeat(9)],
      settings,
      {
        batchSize: 2,
      },
    );
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.probabilities).toHaveLength(2);
      expect(result.probabilities[0]! + result.probabilities[1]!).toBeCloseTo(1, 6);
      expect(result.label).toBe(settings.classes[result.index]);
      expect(result.probabilities[result.index]).toBe(Math.max(...result.probabilities));
    }
    expect(results.map((result) => result.truncated)).toEqual([false, false, true]);
    const single = await classify(model, tokenizer, 'Win cash now', settings);
    expect(single.probabilities).toEqual(results[0]!.probabilities);
    model.dispose();
  });

  it('tokenizes only the start of a long text: the same result, a bounded amount of work', async () => {
    const model = tinyClassifier({ seed: 2 });
    const settings = settingsOf(model, { maxLength: 6 });
    const longest: number[] = [];
    const counting: Tokenizer = Object.create(tokenizer, {
      encode: {
        value: (text: string, options?: object) => {
          longest.push(text.length);
          return tokenizer.encode(text, options);
        },
      },
    });
    const text = `Win cash now ${'prize '.repeat(1_000_000)}`;
    const [cut] = await classifyTexts(model, counting, [text], settings);
    const [whole] = await classifyTexts(model, tokenizer, [text.slice(0, 200)], settings);
    expect(Math.max(...longest)).toBeLessThan(10_000);
    expect(cut!.truncated).toBe(true);
    expect(cut!.probabilities).toEqual(whole!.probabilities);
    model.dispose();
  });

  it("depends on the padding with the book's last-token pooling, and not with last-non-pad", async () => {
    const text = 'You are a winner you have been specially selected';
    const last = tinyClassifier({ seed: 3, pooling: 'last' });
    const [a, b] = [await paddedLogits(last, text, 12), await paddedLogits(last, text, 20)];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-3);
    last.pooling = 'last-non-pad';
    const [c, d] = [await paddedLogits(last, text, 12), await paddedLogits(last, text, 20)];
    expect(Math.max(...c.map((v, i) => Math.abs(v - d[i]!)))).toBeLessThan(1e-6);
    last.dispose();
  });
});

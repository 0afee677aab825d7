import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { describe, expect, it } from 'vitest';
import { GPT2Tokenizer, getGPT2Tokenizer } from './gpt2.js';
import { readCorpus } from './test/corpora.js';

describe('GPT2Tokenizer', () => {
  const tokenizer = getGPT2Tokenizer();

  it('encodes the book’s examples', () => {
    const text = 'Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.';
    const ids = tokenizer.encode(text, { allowedSpecial: new Set(['<|endoftext|>']) });
    expect(ids).toEqual([
      15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680,
      27271, 13,
    ]);
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.encode('Akwirw ier')).toEqual([33901, 86, 343, 86, 220, 959]);
  });

  it('gives the-verdict’s 5,145 tokens', () => {
    const ids = tokenizer.encode(readCorpus('the-verdict.txt'));
    expect(ids).toHaveLength(5_145);
    expect(ids.slice(50, 55)).toEqual([290, 4920, 2241, 287, 257]);
  });

  it('rejects a special token that is not allowed, and allows all of them with "all"', () => {
    expect(() => tokenizer.encode('a<|endoftext|>b')).toThrow(
      "gpt2: the text contains the special token <|endoftext|> at character 1; pass { allowedSpecial: new Set(['<|endoftext|>']) }",
    );
    expect(tokenizer.encode('a<|endoftext|>b', { allowedSpecial: 'all' })).toEqual([64, 50256, 65]);
  });

  it('gives js-tiktoken’s ids token for token, on the corpora and on long runs without spaces', () => {
    const reference = new Tiktoken(gpt2Ranks);
    const latin1 = Array.from({ length: 600 }, (_, i) => String.fromCharCode(0xc0 + ((i * 7) % 64))).join('');
    const texts = [
      readCorpus('the-verdict.txt'),
      readCorpus('tinyshakespeare.txt').slice(0, 200_000),
      latin1,
      'x'.repeat(700),
      '1234567890'.repeat(50),
      '!?'.repeat(300),
      'naïve café — 東京 🙂 Ελληνικά\n\n  spaces   and\ttabs',
    ];
    for (const text of texts) expect(tokenizer.encode(text)).toEqual(reference.encode(text));
  });

  it('describes GPT-2’s vocabulary and is shared', () => {
    expect([tokenizer.vocabSize, tokenizer.eotId, tokenizer.endOfText]).toEqual([
      50_257,
      50_256,
      '<|endoftext|>',
    ]);
    expect(getGPT2Tokenizer()).toBe(tokenizer);
    expect(new GPT2Tokenizer().encode(' the')).toEqual([262]);
    expect(() => tokenizer.decode([50_257])).toThrow('gpt2 cannot decode id 50257');
  });
});

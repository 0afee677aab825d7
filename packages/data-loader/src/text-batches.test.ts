import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { readCorpus } from './test/corpora.js';
import { TooFewTokensError, textToBatches } from './text-batches.js';

const verdict = readCorpus('the-verdict.txt');
const tokenizer = getGPT2Tokenizer();
const allowedSpecial = 'all' as const;

describe('textToBatches', () => {
  it('gives the book’s chapter 5 batches: 9 training batches of 2 × 256, 1 validation batch', () => {
    const { train, validation, trainTokens, validationTokens } = textToBatches(verdict, {
      tokenizer,
      allowedSpecial,
      maxLength: 256,
      batchSize: 2,
      seed: 123,
    });
    const tokens = (loader: typeof train) => [...loader].reduce((sum, batch) => sum + batch.inputs.length, 0);
    expect([train.length, tokens(train), train.batchSize, train.maxLength, train.shuffle]).toEqual([
      9,
      4_608,
      2,
      256,
      true,
    ]);
    expect([validation!.length, tokens(validation!), validation!.shuffle]).toEqual([1, 512, false]);
    // 5,145 tokens in all; cutting the characters at 18,431 splits one word into two tokens.
    expect(trainTokens + validationTokens).toBe(5_146);
  });

  it('encodes special tokens only as allowed', () => {
    const text = `${'word '.repeat(40)}<|endoftext|>${' more'.repeat(40)}`;
    const options = { tokenizer, maxLength: 8, batchSize: 2, validationRatio: 0, shuffle: false };
    const ids = [...textToBatches(text, { ...options, allowedSpecial: 'all' }).train.dataset.get(5).input];
    expect(ids).toContain(50256);
    expect(() => textToBatches(text, { ...options, allowedSpecial: new Set() })).toThrow(/<\|endoftext\|>/);
  });

  it('has no validation part with a validation share of 0', () => {
    const { validation, validationTokens } = textToBatches(verdict, {
      tokenizer,
      allowedSpecial,
      maxLength: 64,
      batchSize: 4,
      validationRatio: 0,
    });
    expect(validation).toBeUndefined();
    expect(validationTokens).toBe(0);
  });

  it('frames the text as one document: the start id before the training part, the end id after the last part', () => {
    const text = 'one two three four five six seven eight nine ten';
    // Windows of one token: every id of each part is an input or a target.
    const options = {
      tokenizer,
      allowedSpecial,
      maxLength: 1,
      batchSize: 1,
      shuffle: false,
      dropLast: false,
    };
    const ids = (loader: ReturnType<typeof textToBatches>['train']) => [...loader].map((b) => [...b.inputs]);
    const plain = textToBatches(text, { ...options, validationRatio: 0.5 });
    const framed = textToBatches(text, {
      ...options,
      validationRatio: 0.5,
      documentIds: { start: 1, end: 2 },
    });
    expect(framed.trainTokens).toBe(plain.trainTokens + 1);
    expect(framed.validationTokens).toBe(plain.validationTokens + 1);
    expect(ids(framed.train).slice(0, 2)).toEqual([[1], ids(plain.train)[0]]);
    const lastTargets = [...framed.validation!].at(-1)!.targets;
    expect(lastTargets.at(-1)).toBe(2);
    const whole = textToBatches(text, { ...options, validationRatio: 0, documentIds: { start: 1, end: 2 } });
    expect(whole.trainTokens).toBe(tokenizer.encode(text).length + 2);
    expect([...whole.train].at(-1)!.targets.at(-1)).toBe(2);
    const noStart = textToBatches(text, {
      ...options,
      validationRatio: 0,
      documentIds: { start: null, end: 2 },
    });
    expect(noStart.trainTokens).toBe(tokenizer.encode(text).length + 1);
  });

  it('names the part that is too short and what it needs', () => {
    const short = verdict.slice(0, 2_000);
    const attempt = (maxLength: number, batchSize: number) => () =>
      textToBatches(short, { tokenizer, allowedSpecial, maxLength, batchSize });
    expect(attempt(256, 2)).toThrow(TooFewTokensError);
    expect(attempt(256, 2)).toThrow(
      /^The training part of the text has 4\d\d tokens; it needs at least 513 \(one full batch of windows/,
    );
    expect(attempt(64, 2)).toThrow(/^The validation part of the text has \d\d tokens; it needs at least 65/);
  });
});

import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpora.js';
import { BPETokenizer } from './bpe-tokenizer.js';

const verdict = readCorpus('the-verdict.txt');
const shakespeare = readCorpus('tinyshakespeare.txt');

describe('BPETokenizer.train', () => {
  const tokenizer = BPETokenizer.train(verdict, { vocabSize: 1_000 });

  it('has the book’s 1,000 entries: 256 bytes, Ġ, <|endoftext|> and 742 merges', () => {
    expect(tokenizer.vocabSize).toBe(1_000);
    expect(tokenizer.mergeCount).toBe(742);
    expect(tokenizer.tokenName(256)).toBe('Ġ');
    expect(tokenizer.eotId).toBe(257);
    expect(tokenizer.tokenName(257)).toBe('<|endoftext|>');
    expect(tokenizer.tokenName(65)).toBe('A');
  });

  it('encodes a space as Ġ, and learns words with their leading space', () => {
    const names = tokenizer.encode(' the painter').map((id) => tokenizer.tokenName(id));
    expect(names.join('')).toBe('ĠtheĠpainter');
    expect(names[0]).toBe('Ġthe');
    expect(tokenizer.encode(' ')).toEqual([256]);
  });

  it('round-trips the-verdict, unseen text and non-ASCII text', () => {
    for (const text of [
      verdict,
      'Jack embraced beauty through art and life.',
      'naïve café — 日本語 😀\n\n  x',
    ]) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
    const ids = tokenizer.encode(verdict);
    expect(ids.length).toBeLessThan(verdict.length / 2.5);
  });

  it('encodes allowed special tokens as their ids', () => {
    const ids = tokenizer.encode('end<|endoftext|>start', { allowedSpecial: 'all' });
    expect(ids).toContain(257);
    expect(tokenizer.decode(ids)).toBe('end<|endoftext|>start');
    expect(() => tokenizer.encode('<|endoftext|>')).toThrow('the text contains the special token');
  });

  it('saves and loads through JSON with the same ids', () => {
    const json = JSON.parse(JSON.stringify(tokenizer.toJSON()));
    const loaded = BPETokenizer.fromJSON(json);
    expect(loaded.vocabSize).toBe(1_000);
    expect(loaded.mergeCount).toBe(742);
    expect(loaded.encode(verdict)).toEqual(tokenizer.encode(verdict));
    expect(() => BPETokenizer.fromJSON({ ...json, format: 'other' })).toThrow('not a scratchgpt-bpe');
  });

  it('asks for a vocabulary larger than its starting entries', () => {
    expect(() => BPETokenizer.train('abc', { vocabSize: 200 })).toThrow(
      'BPETokenizer.train: vocabSize 200 is below the 258 entries it starts with',
    );
  });

  it('rejects a pre-tokenization pattern that matches empty text', () => {
    expect(() => BPETokenizer.train('abc', { vocabSize: 300, pattern: '\\w*' })).toThrow(
      'BPETokenizer: the pattern \\w* matches empty text',
    );
  });

  it('stops early when every word is one token', () => {
    const small = BPETokenizer.train('ab ab ab', { vocabSize: 400 });
    expect(small.mergeCount).toBe(2); // ab, then Ġab
    expect(small.vocabSize).toBe(260);
  });
});

describe('BPETokenizer with GPT-2’s ranks', () => {
  let bpe: BPETokenizer;
  let tiktoken: Tiktoken;
  beforeAll(() => {
    bpe = BPETokenizer.fromGPT2();
    tiktoken = new Tiktoken(gpt2Ranks);
  });

  it('encodes the book’s cases', () => {
    expect(bpe.vocabSize).toBe(50_257);
    expect(bpe.mergeCount).toBe(50_000);
    expect(bpe.encode('This is some text')).toEqual([1212, 318, 617, 2420]);
    expect(bpe.encode('Implementations')).toEqual([3546, 26908, 602]);
    expect(bpe.encode('Hello, world. Is this-- a test?')).toEqual([
      15496, 11, 995, 13, 1148, 428, 438, 257, 1332, 30,
    ]);
    expect(bpe.encode('\n')).toEqual([198]);
    expect(bpe.encode('<|endoftext|>', { allowedSpecial: 'all' })).toEqual([50_256]);
    expect(bpe.encode('Akwirw ier')).toEqual([33901, 86, 343, 86, 220, 959]);
  });

  it('equals js-tiktoken token for token on the-verdict and tinyshakespeare', () => {
    const verdictIds = bpe.encode(verdict);
    expect(verdictIds).toHaveLength(5_145);
    expect(verdictIds).toEqual(tiktoken.encode(verdict));
    const shakespeareIds = bpe.encode(shakespeare);
    expect(shakespeareIds).toEqual(tiktoken.encode(shakespeare));
    expect(bpe.decode(shakespeareIds)).toBe(shakespeare);
  });

  it('equals js-tiktoken on text with long runs, numbers and other scripts', () => {
    const texts = [
      `${' '.repeat(1000)}x${'\n'.repeat(300)}`,
      '1234567890'.repeat(50),
      'naïve café — 日本語のテキスト 😀👍🏽 Ελληνικά عربى',
      "don't you're we'll I'd they've 'S",
      '\u00a0\u2003 tabs\t\tand\r\nlines',
      'a'.repeat(2000),
    ];
    for (const text of texts)
      expect(bpe.encode(text), JSON.stringify(text.slice(0, 20))).toEqual(tiktoken.encode(text));
  });

  it('writes tokens with GPT-2’s byte names', () => {
    expect(bpe.tokenName(262)).toBe('Ġthe');
    expect(bpe.tokenName(198)).toBe('Ċ');
    expect(bpe.tokenName(50_256)).toBe('<|endoftext|>');
    expect([...bpe.tokenBytes(262)]).toEqual([32, 116, 104, 101]);
  });
});

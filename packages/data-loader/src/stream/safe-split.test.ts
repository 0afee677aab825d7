import { BPETokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpora.js';
import { lastSafeSplit } from './safe-split.js';

const gpt2 = BPETokenizer.fromGPT2();

/** Cuts a text at every safe place and encodes the pieces one by one. */
function encodeInPieces(text: string): number[] {
  const ids: number[] = [];
  let rest = text;
  for (;;) {
    const cut = lastSafeSplit(rest.slice(0, 40 + (rest.length % 17)));
    if (cut <= 0) break;
    ids.push(...gpt2.encode(rest.slice(0, cut), { allowedSpecial: 'all' }));
    rest = rest.slice(cut);
  }
  return [...ids, ...gpt2.encode(rest, { allowedSpecial: 'all' })];
}

describe('lastSafeSplit', () => {
  it('cuts before a single space between words, or after a single newline', () => {
    expect(lastSafeSplit('one two')).toBe(3);
    expect(lastSafeSplit('one\ntwo')).toBe(4);
    expect(lastSafeSplit('one  two')).toBe(-1);
    expect(lastSafeSplit('one\n\ntwo')).toBe(-1);
    expect(lastSafeSplit('one ')).toBe(-1);
    expect(lastSafeSplit('a b c', 3)).toBe(3);
    expect(lastSafeSplit('a b c', 4)).toBe(-1);
  });

  it('cuts where pieces give the same GPT-2 ids as the whole text', () => {
    const samples = [
      readCorpus('the-verdict.txt').slice(0, 6000),
      readCorpus('tinyshakespeare.txt').slice(0, 6000),
      "don 't I 'm  x\n\n\nY  \t z <|endoftext|> 12 345\r\nA\nb 'll 's",
      'naïve café — 日本語 😀 x\u00a0y\u2003z \n😀 ok',
    ];
    for (const text of samples)
      expect(encodeInPieces(text)).toEqual(gpt2.encode(text, { allowedSpecial: 'all' }));
  });
});

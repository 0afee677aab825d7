import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char.js';
import { readCorpus } from './test/corpora.js';

describe('CharTokenizer', () => {
  it('has the 65 characters of tinyshakespeare, sorted, and round-trips it', () => {
    const text = readCorpus('tinyshakespeare.txt');
    const tokenizer = CharTokenizer.fromText(text);
    expect(tokenizer.vocabSize).toBe(65);
    expect(tokenizer.chars.join('')).toBe(
      "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    );
    expect(tokenizer.encode('First Citizen')).toEqual([18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52]);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('treats a character outside the basic plane as one token', () => {
    const tokenizer = CharTokenizer.fromText('a😀b');
    expect(tokenizer.chars).toEqual(['a', 'b', '😀']);
    expect(tokenizer.encode('😀a')).toEqual([2, 0]);
    expect(tokenizer.decode([0, 2, 1])).toBe('a😀b');
    const lone = CharTokenizer.fromText('x\ud83d');
    expect(lone.encode('\ud83dx')).toEqual([1, 0]);
    expect(() => lone.encode('😀')).toThrow('the character "😀" is not in the vocabulary');
  });

  it('names a character it does not know', () => {
    expect(() => CharTokenizer.fromText('abc').encode('abz')).toThrow(
      'CharTokenizer: the character "z" is not in the vocabulary',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpora.js';
import { SimpleTokenizerV1 } from './simple-v1.js';
import { SimpleTokenizerV2 } from './simple-v2.js';
import { buildVocab, splitWords } from './vocab.js';

const verdict = readCorpus('the-verdict.txt');
const sentence = `"It's the last he painted, you know," Mrs. Gisburn said with pardonable pride.`;

describe('buildVocab', () => {
  it('splits the-verdict into the book’s 4,690 tokens and 1,130 words', () => {
    expect(verdict.length).toBe(20_479);
    expect(splitWords(verdict)).toHaveLength(4_690);
    expect(buildVocab(verdict, { specialTokens: [] }).size).toBe(1_130);
  });

  it('sorts the words and appends <|endoftext|> and <|unk|>', () => {
    const vocab = buildVocab(verdict);
    expect(vocab.size).toBe(1_132);
    const first = ['!', '"', "'", '(', ')', ',', '--', '.', ':', ';', '?', 'A'];
    expect(first.map((word) => vocab.get(word))).toEqual(first.map((_, id) => id));
    expect([vocab.get('younger'), vocab.get('your'), vocab.get('yourself')]).toEqual([1127, 1128, 1129]);
    expect([vocab.get('<|endoftext|>'), vocab.get('<|unk|>')]).toEqual([1130, 1131]);
  });
});

describe('SimpleTokenizerV1', () => {
  const tokenizer = new SimpleTokenizerV1(buildVocab(verdict, { specialTokens: [] }));

  it('encodes and decodes the book’s sentence', () => {
    const ids = tokenizer.encode(sentence);
    expect(ids).toEqual([
      1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7,
    ]);
    expect(tokenizer.decode(ids)).toBe(
      `" It' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.`,
    );
    expect(tokenizer.vocabSize).toBe(1_130);
    expect(tokenizer.eotId).toBeUndefined();
  });

  it('names an unknown word and the fix', () => {
    expect(() => tokenizer.encode('Hello, do you like tea?')).toThrow(
      /"Hello" is not in the vocabulary; use SimpleTokenizerV2/,
    );
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([1130])).toThrow(
      'simple-v1 cannot decode id 1130: ids are integers in [0, 1130)',
    );
  });
});

describe('SimpleTokenizerV2', () => {
  const tokenizer = new SimpleTokenizerV2(buildVocab(verdict));
  const text = 'Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.';

  it('maps unknown words to <|unk|> and keeps <|endoftext|>', () => {
    const ids = tokenizer.encode(text);
    expect(ids).toEqual([1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]);
    expect(tokenizer.decode(ids)).toBe(
      '<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.',
    );
    expect(tokenizer.specialTokens).toEqual(
      new Map([
        ['<|endoftext|>', 1130],
        ['<|unk|>', 1131],
      ]),
    );
    expect([tokenizer.eotId, tokenizer.endOfText]).toEqual([1130, '<|endoftext|>']);
  });

  it('closes up spaces before : and ; where V1 leaves them', () => {
    const ids = tokenizer.encode('Yes: no; might.');
    expect(tokenizer.decode(ids)).toBe('Yes: no; might.');
    const v1 = new SimpleTokenizerV1(buildVocab(verdict));
    expect(v1.decode(ids)).toBe('Yes : no ; might.');
  });

  it('needs <|unk|> in its vocabulary', () => {
    expect(() => new SimpleTokenizerV2(buildVocab(verdict, { specialTokens: [] }))).toThrow(
      'SimpleTokenizerV2 needs <|unk|> in its vocabulary',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { readCorpus } from '../test/corpora.js';
import { HARD_TEXTS, MODELS, readModelFile, referenceTokenizer } from '../test/hf-models.js';
import { loadHFTokenizer } from './hf-tokenizer.js';

const CORPUS_PREFIX = 20_000;
const corpora = [
  readCorpus('the-verdict.txt').slice(0, CORPUS_PREFIX),
  readCorpus('tinyshakespeare.txt').slice(0, CORPUS_PREFIX),
];

/** Expected special-token facts, read off each model card's config. */
const EXPECTED = {
  qwen3: { vocabSize: 151_669, bosId: null, eosId: 151_645, padId: 151_643, special: '<|im_start|>' },
  llama3: { vocabSize: 128_256, bosId: 128_000, eosId: 128_001, padId: null, special: '<|eot_id|>' },
  gemma3: { vocabSize: 262_145, bosId: 2, eosId: 106, padId: 0, special: '<start_of_turn>' },
} as const;

describe.each(MODELS)('%s', (model) => {
  const tokenizer = loadHFTokenizer(
    readModelFile(model, 'tokenizer.json'),
    readModelFile(model, 'tokenizer_config.json'),
  );
  const reference = referenceTokenizer(model);
  const referenceIds = (text: string) => reference.encode(text, { add_special_tokens: false });
  const expected = EXPECTED[model];

  it('reads the vocabulary size and the BOS/EOS/pad ids from the files', () => {
    expect(tokenizer.vocabSize).toBe(expected.vocabSize);
    expect(tokenizer.bosId).toBe(expected.bosId);
    expect(tokenizer.eosId).toBe(expected.eosId);
    expect(tokenizer.padId).toBe(expected.padId);
  });

  // Qwen3 normalizes to NFC first, so its round trip gives the NFC form (e + U+0301 comes back as é).
  const roundTrip = (text: string) => (model === 'qwen3' ? text.normalize('NFC') : text);

  it('encodes the corpora and hard texts to the reference ids, and decodes them back to the text', () => {
    for (const text of [...corpora, ...HARD_TEXTS]) {
      const ids = tokenizer.encode(text);
      expect(ids).toEqual(referenceIds(text));
      expect(tokenizer.decode(ids)).toBe(roundTrip(text));
      // The reference refuses to decode no ids at all.
      if (ids.length > 0) {
        expect(tokenizer.decode(ids)).toBe(reference.decode(ids, { clean_up_tokenization_spaces: false }));
      }
    }
    expect(tokenizer.decode([])).toBe('');
  });

  it('encodes special tokens as their ids only where allowed', () => {
    const text = `${expected.special}Hello<|unknown|> world${expected.special}`;
    expect(() => tokenizer.encode(text)).toThrow(
      new RegExp(`contains the special token ${expected.special.replace(/\|/g, '\\|')} at character 0`),
    );
    const ids = tokenizer.encode(text, { allowedSpecial: new Set([expected.special]) });
    expect(ids).toEqual(referenceIds(text));
    expect(ids[0]).toBe(tokenizer.specialTokens.get(expected.special));
    expect(tokenizer.encode(text, { allowedSpecial: 'all' })).toEqual(ids);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([expected.vocabSize])).toThrow(RangeError);
    expect(() => tokenizer.decode([-1])).toThrow(/cannot decode id -1/);
  });
});

it('Gemma 3 falls back to bytes for characters outside its vocabulary', () => {
  const gemma = loadHFTokenizer(readModelFile('gemma3', 'tokenizer.json'));
  const ids = gemma.encode('\u{10FFFD}');
  expect(ids).toEqual(
    [0xf4, 0x8f, 0xbf, 0xbd].map((byte) => gemma.tokenToId(`<0x${byte.toString(16).toUpperCase()}>`)),
  );
  expect(gemma.decode(ids)).toBe('\u{10FFFD}');
});

it('Llama 3 splits digits in threes and Qwen3 one by one', () => {
  const llama = loadHFTokenizer(readModelFile('llama3', 'tokenizer.json'));
  const qwen = loadHFTokenizer(readModelFile('qwen3', 'tokenizer.json'));
  expect(llama.encode('1234567').map((id) => llama.decode([id]))).toEqual(['123', '456', '7']);
  expect(qwen.encode('1234').map((id) => qwen.decode([id]))).toEqual(['1', '2', '3', '4']);
});

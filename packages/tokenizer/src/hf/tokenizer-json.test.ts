import { expect, it } from 'vitest';
import { loadHFTokenizer } from './hf-tokenizer.js';
import { HFTokenizerFileError } from './json-file.js';
import { QWEN_PATTERN } from './tokenizer-json.js';

interface Split {
  type: string;
  pattern: unknown;
  behavior: string;
  invert: boolean;
}

interface TinyJson extends Record<string, unknown> {
  model: { type: string; vocab: Record<string, number>; merges: string[] };
  added_tokens: { id: number; content: string; special?: boolean }[];
  pre_tokenizer: { type: string; pretokenizers: [Split, unknown] };
}

/** A tiny byte-level BPE in tokenizer.json's shape: "a", "b", their merge, and one special token. */
function tinyTokenizer(): TinyJson {
  return {
    version: '1.0',
    added_tokens: [{ id: 3, content: '<|end|>', special: true }],
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  };
}

function load(json: unknown, config?: unknown, options = {}) {
  return loadHFTokenizer(
    JSON.stringify(json),
    config === undefined ? undefined : JSON.stringify(config),
    options,
  );
}

function withChange(change: (json: TinyJson) => void): TinyJson {
  const json = tinyTokenizer();
  change(json);
  return json;
}

it('loads a minimal tokenizer.json and encodes with its merge', () => {
  const tokenizer = load(tinyTokenizer(), { eos_token: { content: '<|end|>' }, tokenizer_class: 'Tiny' });
  expect(tokenizer.name).toBe('Tiny');
  expect(tokenizer.vocabSize).toBe(4);
  expect(tokenizer.eosId).toBe(3);
  expect(tokenizer.encode('abab<|end|>', { allowedSpecial: 'all' })).toEqual([2, 2, 3]);
  expect(tokenizer.decode([2, 0, 3])).toBe('aba<|end|>');
});

it('refuses a file that is not JSON, or larger than allowed before parsing it', () => {
  expect(() => loadHFTokenizer('{"model": ')).toThrow(/^tokenizer\.json is not valid JSON/);
  expect(() => loadHFTokenizer('[]')).toThrow(
    /tokenizer\.json: \(the whole file\) must be an object, not an array/,
  );
  const text = JSON.stringify(tinyTokenizer());
  expect(() => loadHFTokenizer(text, null, { maxTokenizerBytes: 100 })).toThrow(
    new RegExp(`tokenizer\\.json is ${text.length} bytes, more than the 100 allowed`),
  );
  expect(() => loadHFTokenizer(new TextEncoder().encode(text), '{}', { maxConfigBytes: 1 })).toThrow(
    /tokenizer_config\.json is 2 bytes, more than the 1 allowed/,
  );
  expect(() => loadHFTokenizer(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(TypeError);
});

it('names the field and the fix for unsupported or malformed parts', () => {
  const cases: [TinyJson, RegExp][] = [
    [
      withChange((j) => (j.model.type = 'Unigram')),
      /model\.type "Unigram" is not supported: only BPE tokenizers/,
    ],
    [withChange((j) => (j.model.type = 'WordPiece')), /model\.type "WordPiece" is not supported/],
    [
      withChange((j) => Object.assign(j, { model: undefined })),
      /tokenizer\.json: model must be an object, not undefined/,
    ],
    [
      withChange((j) => (j.model.vocab = { a: -1 })),
      /model\.vocab\["a"\] must be a token id \(an integer ≥ 0\), not number -1/,
    ],
    [withChange((j) => (j.model.vocab = {})), /model\.vocab is empty/],
    [
      withChange((j) => (j.model.merges = ['a b c'])),
      /model\.merges\[0\] must be "left right" or \["left", "right"\]/,
    ],
    [
      withChange((j) => (j.added_tokens = [{ id: 1.5, content: 'x' }])),
      /added_tokens\[0\]\.id must be a token id/,
    ],
    [withChange((j) => (j.added_tokens = [{ id: 4, content: '' }])), /added_tokens\[0\]\.content is empty/],
    [
      withChange((j) => Object.assign(j, { pre_tokenizer: { type: 'BertPreTokenizer' } })),
      /pre_tokenizer\.type "BertPreTokenizer" is not supported; supported: ByteLevel, Split, Metaspace, Sequence/,
    ],
    [
      withChange((j) => (j.pre_tokenizer.pretokenizers[0].pattern = { Regex: '(a+)+$' })),
      /pre_tokenizer\.pretokenizers\[0\]\.pattern\.Regex is neither Qwen3's nor Llama 3's pattern.*trustPatterns: true/,
    ],
    [
      withChange((j) => (j.pre_tokenizer.pretokenizers[0].behavior = 'MergedWithNext')),
      /pre_tokenizer\.pretokenizers\[0\]\.behavior "MergedWithNext" is not supported/,
    ],
    [
      withChange((j) => Object.assign(j, { normalizer: { type: 'Precompiled' } })),
      /normalizer\.type "Precompiled" is not supported/,
    ],
    [
      withChange((j) => Object.assign(j, { decoder: { type: 'Sequence', decoders: [{ type: 'CTC' }] } })),
      /decoder\.decoders\[0\]\.type "CTC"/,
    ],
  ];
  for (const [json, message] of cases) {
    expect(() => load(json)).toThrow(HFTokenizerFileError);
    expect(() => load(json)).toThrow(message);
  }
});

it('loads a pattern of its own only when trusted', () => {
  const json = withChange((j) => (j.pre_tokenizer.pretokenizers[0].pattern = { Regex: '\\p{L}+|\\s+' }));
  expect(load(json, undefined, { trustPatterns: true }).encode('ab ab')).toEqual(
    load(tinyTokenizer()).encode('ab ab'),
  );
});

it('refuses a config whose special tokens are not in tokenizer.json', () => {
  expect(() => load(tinyTokenizer(), { eos_token: '</s>' })).toThrow(
    /tokenizer_config\.json: eos_token "<\/s>" is not a token of tokenizer\.json; the two files are from different models/,
  );
  expect(() => load(tinyTokenizer(), { bos_token: 7 })).toThrow(
    /bos_token must be a token \(a string or \{ "content": string \}\), not number 7/,
  );
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BPETokenizer } from './bpe/bpe-tokenizer.js';
import { HFTokenizerFileError } from './hf/json-file.js';
import { loadBPETokenizer, loadHFTokenizerFromDirectory, saveBPETokenizer } from './node.js';
import { readCorpus } from './test/corpora.js';
import { modelDirectory } from './test/hf-models.js';

const dir = await mkdtemp(join(tmpdir(), 'scratchgpt-tokenizer-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('saves a trained tokenizer to a file and loads the same ids back', async () => {
  const verdict = readCorpus('the-verdict.txt');
  const trained = BPETokenizer.train(verdict, { vocabSize: 400 });
  const path = join(dir, 'bpe.json');
  await saveBPETokenizer(trained, path);
  const loaded = await loadBPETokenizer(path);
  expect(loaded.vocabSize).toBe(400);
  expect(loaded.encode(verdict)).toEqual(trained.encode(verdict));
});

it('names a missing file', async () => {
  await expect(loadBPETokenizer(join(dir, 'missing.json'))).rejects.toThrow(
    /missing\.json does not exist; save one with saveBPETokenizer first/,
  );
});

it('refuses a file whose pattern is not GPT-2’s unless it is trusted (a regular expression can take exponential time)', async () => {
  const trained = BPETokenizer.train('aaa bbb aaa ccc', {
    vocabSize: 260,
    pattern: '\\s?\\p{L}+|\\s+|[^\\s\\p{L}]+',
  });
  const path = join(dir, 'custom.json');
  await saveBPETokenizer(trained, path);
  await expect(loadBPETokenizer(path)).rejects.toThrow(
    "BPETokenizer.fromJSON: the tokenizer's pre-tokenization pattern is not GPT-2's.",
  );
  const trusted = await loadBPETokenizer(path, { trustPattern: true });
  expect(trusted.encode('aaa ccc')).toEqual(trained.encode('aaa ccc'));
});

describe('loadHFTokenizerFromDirectory', () => {
  it('loads a model directory’s tokenizer and config', async () => {
    const qwen = await loadHFTokenizerFromDirectory(modelDirectory('qwen3'));
    expect(qwen.name).toBe('Qwen2Tokenizer');
    expect(qwen.eosId).toBe(151_645);
    expect(qwen.encode('Hello world')).toEqual([9707, 1879]);
  });

  it('names a missing file, a file over its cap, and a broken file with its directory', async () => {
    const model = join(dir, 'model');
    await mkdir(model);
    await expect(loadHFTokenizerFromDirectory(model)).rejects.toThrow(
      new RegExp(`${model} holds no tokenizer\\.json: give the directory of a Hugging Face model`),
    );
    await writeFile(join(model, 'tokenizer.json'), '{"model": {"type": "Unigram"}}');
    await expect(loadHFTokenizerFromDirectory(model)).rejects.toThrow(/holds no tokenizer_config\.json/);
    await writeFile(join(model, 'tokenizer_config.json'), '{}');
    await expect(loadHFTokenizerFromDirectory(model)).rejects.toThrow(
      new RegExp(`${model}/tokenizer\\.json: model\\.type "Unigram" is not supported`),
    );
    await expect(loadHFTokenizerFromDirectory(model, { maxTokenizerBytes: 10 })).rejects.toThrow(
      /tokenizer\.json is 30 bytes, more than the 10 such a file can take/,
    );
    await expect(loadHFTokenizerFromDirectory(join(dir, 'no-such-model'))).rejects.toThrow(
      HFTokenizerFileError,
    );
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { BPETokenizer } from './bpe/bpe-tokenizer.js';
import { loadBPETokenizer, saveBPETokenizer } from './node.js';
import { readCorpus } from './test/corpora.js';

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

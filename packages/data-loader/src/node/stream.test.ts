import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPETokenizer, CharTokenizer } from '@scratchgpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataLoader } from '../data-loader.js';
import { GPTDataset } from '../gpt-dataset.js';
import { concatBatches, firstDifference } from '../test/compare.js';
import { corpusPath, readCorpus } from '../test/corpora.js';
import { TokenFile } from './token-file.js';
import { tokenizeFileToTokenFile } from './tokenize-file.js';

const dir = await mkdtemp(join(tmpdir(), 'scratchgpt-stream-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const gpt2 = BPETokenizer.fromGPT2();

describe('tinyshakespeare through a token file', () => {
  const text = readCorpus('tinyshakespeare.txt');
  const path = join(dir, 'shakespeare.tokens');
  let memoryIds: Int32Array;
  let file: TokenFile;
  beforeAll(async () => {
    memoryIds = Int32Array.from(gpt2.encode(text));
    const progress: number[] = [];
    const summary = await tokenizeFileToTokenFile(corpusPath('tinyshakespeare.txt'), path, gpt2, {
      chunkBytes: 64 << 10,
      onProgress: ({ bytesRead }) => progress.push(bytesRead),
    });
    expect(summary).toEqual({ path, tokens: memoryIds.length, dtype: 'uint16', bytesRead: 1_115_394 });
    expect(progress.length).toBeGreaterThan(10);
    file = TokenFile.open(path, { pageTokens: 4096, maxPages: 4 });
  });
  afterAll(() => file.close());

  it('holds exactly the ids of encoding the whole text at once', () => {
    expect(file.length).toBe(338_025);
    expect(firstDifference(file.slice(0, file.length), memoryIds)).toBe(-1);
    expect(file.slice(4090, 4100)).toEqual(memoryIds.slice(4090, 4100)); // across pages
  });

  it('gives the same shuffled batches as the ids in memory, for the same seed', () => {
    const options = { maxLength: 64, stride: 48 };
    const fromFile = createDataLoader(new GPTDataset(file, options), { batchSize: 8, seed: 7 });
    const fromMemory = createDataLoader(new GPTDataset(memoryIds, options), { batchSize: 8, seed: 7 });
    expect(fromFile.length).toBe(fromMemory.length);
    for (const epoch of [0, 1]) {
      const expected = concatBatches(fromMemory.batches(epoch));
      expect(expected).toHaveLength(2 * fromMemory.length * 8 * 64);
      expect(firstDifference(concatBatches(fromFile.batches(epoch)), expected), `epoch ${epoch}`).toBe(-1);
    }
    const [first] = fromFile.batches(1, 5);
    expect(first).toEqual([...fromMemory.batches(1)][5]);
  });
});

describe('tokenizeFileToTokenFile', () => {
  it('joins characters split between chunks and never cuts a piece', async () => {
    const text = `${'naïve café — 日本語のテキスト 😀👍🏽 x\n'.repeat(40)}it's  done\n\nagain 'll`;
    const input = join(dir, 'utf8.txt');
    await writeFile(input, text);
    for (const chunkBytes of [1, 3, 7, 64]) {
      const output = join(dir, `utf8-${chunkBytes}.tokens`);
      await tokenizeFileToTokenFile(input, output, gpt2, { chunkBytes });
      const file = TokenFile.open(output);
      expect([...file.slice(0, file.length)], `chunkBytes ${chunkBytes}`).toEqual(gpt2.encode(text));
      file.close();
    }
  });

  it('writes uint32 ids for a vocabulary over 65,536 and passes allowedSpecial on', async () => {
    const input = join(dir, 'wide.txt');
    await writeFile(input, 'ab<|endoftext|>ba');
    const chars = CharTokenizer.fromText('ab<|endoftext|>');
    const wide = {
      ...chars,
      name: 'wide',
      vocabSize: 70_000,
      encode: chars.encode.bind(chars),
      decode: chars.decode.bind(chars),
    };
    const summary = await tokenizeFileToTokenFile(input, join(dir, 'wide.tokens'), wide);
    expect(summary.dtype).toBe('uint32');
    const file = TokenFile.open(join(dir, 'wide.tokens'));
    expect(file.dtype).toBe('uint32');
    expect([...file.slice(0, file.length)]).toEqual(chars.encode('ab<|endoftext|>ba'));
    file.close();
    await expect(tokenizeFileToTokenFile(input, join(dir, 'special.tokens'), gpt2)).rejects.toThrow(
      'the text contains the special token <|endoftext|>',
    );
    const special = await tokenizeFileToTokenFile(input, join(dir, 'special.tokens'), gpt2, {
      allowedSpecial: new Set(['<|endoftext|>']),
    });
    expect(special.tokens).toBe(gpt2.encode('ab<|endoftext|>ba', { allowedSpecial: 'all' }).length);
  });

  it('explains a missing input, text with nowhere to cut, and leaves no partial file', async () => {
    await expect(tokenizeFileToTokenFile(join(dir, 'nope.txt'), join(dir, 'x.tokens'), gpt2)).rejects.toThrow(
      /nope\.txt does not exist; check the path/,
    );
    const input = join(dir, 'one-word.txt');
    await writeFile(input, 'x'.repeat(5000));
    await expect(
      tokenizeFileToTokenFile(input, join(dir, 'one-word.tokens'), gpt2, {
        chunkBytes: 1000,
        maxPendingChars: 2000,
      }),
    ).rejects.toThrow(
      'characters with no single space or newline between words to cut at; raise maxPendingChars',
    );
    expect(() => TokenFile.open(join(dir, 'one-word.tokens'))).toThrow(
      /one-word\.tokens does not exist; write one with tokenizeFileToTokenFile/,
    );
  });
});

describe('TokenFile', () => {
  it('rejects a file that is not a token file, and a truncated one', async () => {
    const notTokens = join(dir, 'text.tokens');
    await writeFile(notTokens, 'just some text, long enough');
    expect(() => TokenFile.open(notTokens)).toThrow('is not a scratchgpt token file (no SGTK header)');
    const input = join(dir, 'short.txt');
    await writeFile(input, 'a few words here');
    const output = join(dir, 'short.tokens');
    await tokenizeFileToTokenFile(input, output, gpt2);
    await truncate(output, 17);
    expect(() => TokenFile.open(output)).toThrow(
      'holds 17 bytes but its header promises 4 ids (24 bytes); it is truncated or still being written',
    );
  });

  it('rejects slices outside the file and reads after close', async () => {
    const input = join(dir, 'small.txt');
    await writeFile(input, 'one two three');
    await tokenizeFileToTokenFile(input, join(dir, 'small.tokens'), gpt2);
    const file = TokenFile.open(join(dir, 'small.tokens'));
    expect(() => file.slice(2, 4)).toThrow("TokenFile: slice(2, 4) is outside the file's 3 ids");
    file.close();
    expect(() => file.slice(0, 1)).toThrow('is closed');
  });
});

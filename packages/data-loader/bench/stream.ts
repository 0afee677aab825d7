/**
 * Streaming benchmark: generates a large corpus (tinyshakespeare repeated with variations) in a
 * temporary folder, tokenizes it to a token file with GPT-2 BPE, then draws batches from the file.
 *
 *   pnpm build && pnpm exec tsx packages/data-loader/bench/stream.ts \
 *     [--mb 200] [--tokenizer bpe|tiktoken] [--chunk-kib 256] [--keep]
 *
 * It runs on the built dependencies: @scratchgpt/tensor's sources need its bundled build to load in
 * plain Node.
 *
 * Prints one JSON object: corpus size, tokens, seconds, MB/s and tokens/s of the tokenization, the
 * process's peak resident memory (`process.resourceUsage().maxRSS`, which covers generation too) and
 * the highest RSS sampled while tokenizing (and the RSS before, with everything loaded), then
 * batches/s drawn at random from the token file.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPETokenizer, getGPT2Tokenizer, type Tokenizer } from '@scratchgpt/tokenizer';
import { createDataLoader, GPTDataset } from '../src/index.js';
import { TokenFile, tokenizeFileToTokenFile } from '../src/node.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

const targetBytes = Number(flag('mb', '200')) * 1e6;
const tokenizerName = flag('tokenizer', 'bpe');
const chunkBytes = Number(flag('chunk-kib', '256')) * 1024;
const keep = process.argv.includes('--keep');
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * Writes repetitions of the text until the target size, each one different: the lines rotate by a
 * varying offset, and every eleventh line (shifting with the repetition) is upper-cased. The
 * generator writes piece by piece, so the corpus never sits in memory.
 */
async function generateCorpus(path: string, source: string): Promise<number> {
  const lines = source.split('\n');
  const out = createWriteStream(path);
  let written = 0;
  for (let rep = 0; written < targetBytes; rep++) {
    const offset = (rep * 7919) % lines.length;
    let piece = `\n\nPart ${rep + 1}\n\n`;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[(i + offset) % lines.length] as string;
      piece += (i + rep) % 11 === 0 ? line.toUpperCase() : line;
      piece += '\n';
      if (piece.length > 1 << 20 || i === lines.length - 1) {
        written += Buffer.byteLength(piece);
        if (!out.write(piece)) await once(out, 'drain');
        piece = '';
      }
    }
  }
  out.end();
  await once(out, 'close');
  return written;
}

const dir = await mkdtemp(join(tmpdir(), 'scratchgpt-stream-bench-'));
try {
  const shakespeare = await readFile(new URL('../../../data/tinyshakespeare.txt', import.meta.url), 'utf8');
  const corpus = join(dir, 'corpus.txt');
  const generateStart = performance.now();
  const corpusBytes = await generateCorpus(corpus, shakespeare);
  const generateSeconds = (performance.now() - generateStart) / 1000;

  const tokenizer: Tokenizer = tokenizerName === 'tiktoken' ? getGPT2Tokenizer() : BPETokenizer.fromGPT2();
  const rssBefore = process.memoryUsage().rss; // Node, tsx, TF.js core and the tokenizer, loaded
  let sampledPeakRss = rssBefore;
  const start = performance.now();
  const summary = await tokenizeFileToTokenFile(corpus, join(dir, 'corpus.tokens'), tokenizer, {
    chunkBytes,
    onProgress: () => {
      sampledPeakRss = Math.max(sampledPeakRss, process.memoryUsage().rss);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  const tokenFileBytes = (await stat(summary.path)).size;

  // Random batches straight from disk.
  const file = TokenFile.open(summary.path);
  const loader = createDataLoader(new GPTDataset(file, { maxLength: 256, stride: 256 }), {
    batchSize: 8,
    seed: 1,
  });
  const drawStart = performance.now();
  let drawn = 0;
  for (const _batch of loader.batches(0)) if (++drawn === 2000) break;
  const drawSeconds = (performance.now() - drawStart) / 1000;
  file.close();

  console.log(
    JSON.stringify(
      {
        tokenizer: tokenizer.name,
        corpusMB: Math.round(corpusBytes / 1e5) / 10,
        generateSeconds: Math.round(generateSeconds * 10) / 10,
        chunkKiB: chunkBytes / 1024,
        tokens: summary.tokens,
        dtype: summary.dtype,
        tokenFileMiB: mib(tokenFileBytes),
        seconds: Math.round(seconds * 10) / 10,
        mbPerSec: Math.round((corpusBytes / 1e6 / seconds) * 100) / 100,
        tokensPerSec: Math.round(summary.tokens / seconds),
        rssBeforeTokenizingMiB: mib(rssBefore),
        peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
        sampledPeakRssWhileTokenizingMiB: mib(sampledPeakRss),
        batches: { drawn, batchSize: 8, maxLength: 256, perSec: Math.round(drawn / drawSeconds) },
        node: process.version,
      },
      null,
      2,
    ),
  );
} finally {
  if (keep) console.error(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

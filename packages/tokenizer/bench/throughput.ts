/**
 * Encode throughput of every tokenizer on tinyshakespeare.txt, against js-tiktoken, in one process.
 *
 *   pnpm exec tsx --conditions=@scratchgpt/source packages/tokenizer/bench/throughput.ts [--reps 5]
 *
 * Prints one JSON object: per tokenizer the median MB/s and tokens/s over the repetitions, and the
 * ratio of its MB/s to js-tiktoken's. `bpe-gpt2 (cold)` builds a fresh tokenizer for each repetition,
 * so its per-word cache starts empty, as js-tiktoken (which has none) always does.
 */
import { readFileSync } from 'node:fs';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { BPETokenizer, buildVocab, CharTokenizer, SimpleTokenizerV2 } from '../src/index.js';

const repsFlag = process.argv.indexOf('--reps');
const reps = repsFlag < 0 ? 5 : Number(process.argv[repsFlag + 1]);
const text = readFileSync(new URL('../../../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const megabytes = Buffer.byteLength(text) / 1e6;

interface Candidate {
  name: string;
  /** Returns the encode function to time; called once per repetition, outside the timing. */
  prepare: () => (text: string) => number[];
}

const tiktoken = new Tiktoken(gpt2Ranks);
const warmBpe = BPETokenizer.fromGPT2();
const simple = new SimpleTokenizerV2(buildVocab(text));
const char = CharTokenizer.fromText(text);

const candidates: Candidate[] = [
  { name: 'js-tiktoken (gpt2)', prepare: () => (t) => tiktoken.encode(t) },
  {
    name: 'bpe-gpt2 (cold)',
    prepare: () => {
      const bpe = BPETokenizer.fromGPT2();
      return (t) => bpe.encode(t);
    },
  },
  { name: 'bpe-gpt2 (warm)', prepare: () => (t) => warmBpe.encode(t) },
  { name: 'simple-v2', prepare: () => (t) => simple.encode(t) },
  { name: 'char', prepare: () => (t) => char.encode(t) },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const results = candidates.map(({ name, prepare }) => {
  prepare()(text); // warm-up: JIT, and the warm tokenizer's cache
  const seconds: number[] = [];
  let tokens = 0;
  for (let rep = 0; rep < reps; rep++) {
    const encode = prepare();
    const start = process.hrtime.bigint();
    tokens = encode(text).length;
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const time = median(seconds);
  return { name, tokens, seconds: time, mbPerSec: megabytes / time, tokensPerSec: tokens / time };
});

const baseline = results[0]?.mbPerSec ?? Number.NaN;
console.log(
  JSON.stringify(
    {
      corpus: 'tinyshakespeare.txt',
      megabytes,
      reps,
      node: process.version,
      results: results.map((r) => ({
        name: r.name,
        tokens: r.tokens,
        seconds: Number(r.seconds.toFixed(4)),
        mbPerSec: Number(r.mbPerSec.toFixed(2)),
        tokensPerSec: Math.round(r.tokensPerSec),
        vsTiktoken: Number((r.mbPerSec / baseline).toFixed(2)),
      })),
    },
    null,
    2,
  ),
);

/**
 * Encode throughput of the Hugging Face tokenizers (Qwen3, Llama 3, Gemma 3) on tinyshakespeare.txt:
 * this package's `HFTokenizer` (@huggingface/tokenizers) against @lenml/tokenizers (a fork of
 * transformers.js's tokenizers), in one process, with the same ids checked.
 *
 *   pnpm exec tsx --conditions=@scratchgpt/source packages/tokenizer/bench/hf-throughput.ts [--reps 3]
 *
 * Prints one JSON object: per model and implementation the load time and the median encode time.
 */
import { readFileSync } from 'node:fs';
import { loadHFTokenizer } from '../src/index.js';
import { MODELS, readModelFile, referenceTokenizer } from '../src/test/hf-models.js';

const repsFlag = process.argv.indexOf('--reps');
const reps = repsFlag < 0 ? 3 : Number(process.argv[repsFlag + 1]);
const text = readFileSync(new URL('../../../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const megabytes = Buffer.byteLength(text) / 1e6;

function timed<T>(run: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = run();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
}

function seconds(run: () => void): number {
  return timed(run)[1];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Encodes the text `reps` times after a warm-up; a fresh tokenizer each time would time the load. */
function time(encode: (text: string) => number[]): { ids: number[]; seconds: number } {
  const ids = encode(text);
  return { ids, seconds: median(Array.from({ length: reps }, () => seconds(() => encode(text)))) };
}

const results = MODELS.map((model) => {
  const [ours, oursLoad] = timed(() =>
    loadHFTokenizer(readModelFile(model, 'tokenizer.json'), readModelFile(model, 'tokenizer_config.json')),
  );
  const [reference, referenceLoad] = timed(() => referenceTokenizer(model));
  const a = time((t) => ours.encode(t));
  const b = time((t) => reference.encode(t, { add_special_tokens: false }));
  const same = a.ids.length === b.ids.length && a.ids.every((id, i) => id === b.ids[i]);
  return {
    model,
    tokens: a.ids.length,
    sameIds: same,
    huggingfaceTokenizers: {
      loadSeconds: round(oursLoad),
      encodeSeconds: round(a.seconds),
      mbPerSec: round(megabytes / a.seconds),
    },
    lenmlTokenizers: {
      loadSeconds: round(referenceLoad),
      encodeSeconds: round(b.seconds),
      mbPerSec: round(megabytes / b.seconds),
    },
  };
});

function round(value: number): number {
  return Number(value.toFixed(3));
}

console.log(
  JSON.stringify({ corpus: 'tinyshakespeare.txt', megabytes, reps, node: process.version, results }, null, 2),
);

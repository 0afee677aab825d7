/**
 * GPT-2 tokenizing on adversarial input: long runs of letters with no space between them, which BPE
 * merges as one piece. Compares this package's merge (a heap: n·log n) with js-tiktoken's (quadratic),
 * in one process, on the same texts, and checks both give the same ids.
 *
 *   pnpm exec tsx packages/tokenizer/bench/adversarial.ts [--max-tiktoken 4000]
 *
 * Prints one JSON line per length: {"characters","tokens","scratchgpt_ms","tiktoken_ms","ratio"};
 * js-tiktoken is skipped past --max-tiktoken characters (8,000 take it over a minute).
 */
import { parseArgs } from 'node:util';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { GPT2Tokenizer } from '../src/gpt2.js';

const { values } = parseArgs({ options: { 'max-tiktoken': { type: 'string', default: '4000' } } });
const maxTiktoken = Number(values['max-tiktoken']);
const ours = new GPT2Tokenizer();
const reference = new Tiktoken(gpt2Ranks);

/**
 * One Latin-1 letter repeated (two UTF-8 bytes each): every position ties with every other, the worst
 * case for a merge that rescans the piece after each merge.
 */
function adversarial(characters: number): string {
  return 'é'.repeat(characters);
}

function time(run: () => number[]): { ms: number; ids: number[] } {
  const started = performance.now();
  const ids = run();
  return { ms: performance.now() - started, ids };
}

for (const characters of [1_000, 2_000, 4_000, 8_000, 64_000, 1_000_000]) {
  const text = adversarial(characters);
  const mine = time(() => ours.encode(text));
  let tiktokenMs: number | null = null;
  if (characters <= maxTiktoken) {
    const theirs = time(() => reference.encode(text));
    if (theirs.ids.join() !== mine.ids.join()) throw new Error(`the ids differ at ${characters} characters`);
    tiktokenMs = theirs.ms;
  }
  const ratio = tiktokenMs === null ? null : Number((tiktokenMs / mine.ms).toFixed(1));
  console.log(
    JSON.stringify({
      characters,
      tokens: mine.ids.length,
      scratchgpt_ms: Number(mine.ms.toFixed(1)),
      tiktoken_ms: tiktokenMs === null ? null : Number(tiktokenMs.toFixed(1)),
      ratio,
    }),
  );
}

#!/usr/bin/env node
/**
 * The exact figures of the book's chapter 5 with OpenAI's GPT-2 weights, side by side with the book's:
 * two greedy continuations and the training and validation losses on The Verdict. Exits 1 if a text
 * differs or a loss is off by more than 1e-4. It needs the real weights (this is a check, not a test:
 * they cannot be downloaded where the tests run):
 *
 *   node apps/node-gpu/bench/gpt2-chapter5.mjs                    # gpt2 from the Hugging Face cache or Hub
 *   node apps/node-gpu/bench/gpt2-chapter5.mjs --model DIR        # a local GPT-2 124M (either layout)
 *   node apps/node-gpu/bench/gpt2-chapter5.mjs --model gpt2-xl --backend cpu   # the gpt2-xl losses
 *
 * Each figure runs the CLI as a user would: `generate --temperature 0 --no-stop` (greedy, like the
 * book's top-k 1) and `eval` over the book's split (the first 90% of the characters for training, the
 * rest for validation, each tokenized alone; windows of 256 with stride 256, batch 2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'gpt2' },
    backend: { type: 'string', default: 'auto' },
  },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const verdict = fileURLToPath(new URL('../../../data/the-verdict.txt', import.meta.url));
const tolerance = 1e-4;

// From the book's chapter 5 notebook (rasbt/LLMs-from-scratch), with OpenAI's weights.
const book = {
  small: {
    texts: [
      {
        prompt: 'Every effort moves',
        tokens: 30,
        text: "Every effort moves forward, but it's not enough.\n\n\"I'm not going to sit here and say, 'I'm not going to do this,'",
      },
      {
        prompt: 'Every effort moves you',
        tokens: 15,
        text: 'Every effort moves you forward.\n\nThe first step is to understand the importance of your work',
      },
    ],
    losses: { train: 3.7547486888037787, validation: 3.5596182346343994 },
  },
  xl: { texts: [], losses: { train: 3.3046312861972384, validation: 3.1195147037506104 } },
};

function run(args) {
  const result = spawnSync(process.execPath, [cli, ...args, '--backend', values.backend, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return JSON.parse(result.stdout);
}

// Download (or find in the cache) once, and learn which GPT-2 it is from its config.
const model = values.model;
const downloaded = /^[./]/.test(model) ? undefined : run(['download', model]);
const directory = downloaded?.directory ?? model;
const layers = (() => {
  const config = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
  return config.n_layer ?? config.n_layers;
})();
const expected = layers === 48 ? book.xl : book.small;
if (layers !== 12 && layers !== 48) {
  console.error(`${model} has ${layers} layers: the book's figures are for gpt2 (12) and gpt2-xl (48)`);
  process.exit(2);
}

const rows = [];
for (const { prompt, tokens, text } of expected.texts) {
  const args = ['generate', '--model', directory, '--prompt', prompt, '--max-new-tokens', String(tokens)];
  const ours = run([...args, '--temperature', '0', '--no-stop']).text;
  rows.push({ figure: `greedy, "${prompt}", ${tokens} tokens`, book: text, ours, ok: ours === text });
}

const text = readFileSync(verdict, 'utf8');
const split = Math.floor(0.9 * text.length);
const work = mkdtempSync(join(tmpdir(), 'gpt2-chapter5-'));
for (const [name, part] of [
  ['train', text.slice(0, split)],
  ['validation', text.slice(split)],
]) {
  const file = join(work, `${name}.txt`);
  writeFileSync(file, part);
  const { loss, windows } = run([
    'eval',
    '--model',
    directory,
    '--data',
    file,
    '--context',
    '256',
    '--batch-size',
    '2',
  ]);
  const reference = expected.losses[name];
  const difference = Math.abs(loss - reference);
  rows.push({
    figure: `${name} loss (${windows} windows of 256)`,
    book: reference,
    ours: loss,
    difference,
    ok: difference <= tolerance,
  });
}

for (const row of rows) {
  const show = (value) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
  const extra = row.difference === undefined ? '' : `  |Δ| ${row.difference.toExponential(2)}`;
  console.log(
    `${row.ok ? 'ok  ' : 'FAIL'} ${row.figure}\n     book: ${show(row.book)}\n     ours: ${show(row.ours)}${extra}`,
  );
}
const failed = rows.filter((row) => !row.ok).length;
console.log(
  failed === 0 ? `all ${rows.length} figures match the book` : `${failed} of ${rows.length} figures differ`,
);
process.exit(failed === 0 ? 0 : 1);

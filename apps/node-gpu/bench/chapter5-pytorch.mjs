#!/usr/bin/env node
/**
 * The chapter 5 run in PyTorch (tools/reference/chapter5.py) on exactly the token ids `chapter5.mjs`
 * trains scratchgpt on: The Verdict split at 90% of its characters, each part encoded with GPT-2's BPE.
 * A same-machine reference for chapter5.mjs's losses and time. Needs a build and Debian's python3-torch.
 *
 *   node apps/node-gpu/bench/chapter5-pytorch.mjs [--seed 123] [--threads N] [--book-rng]
 *
 * `--book-rng` draws the data order and dropout from torch's global generator through a DataLoader,
 * as the book's notebook does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { splitTrainValidation } from '@scratchgpt/data-loader';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '123' },
    threads: { type: 'string' },
    'book-rng': { type: 'boolean', default: false },
  },
});
const text = readFileSync(fileURLToPath(new URL('../../../data/the-verdict.txt', import.meta.url)), 'utf8');
const { train, validation } = splitTrainValidation(text, 0.9);
const tokenizer = getGPT2Tokenizer();
const encode = (part) => tokenizer.encode(part, { allowedSpecial: 'all' });
const folder = mkdtempSync(join(tmpdir(), 'chapter5-'));
const idsPath = join(folder, 'ids.json');
writeFileSync(idsPath, JSON.stringify({ train: encode(train), validation: encode(validation) }));
const script = fileURLToPath(new URL('../../../tools/reference/chapter5.py', import.meta.url));
const threads = values.threads === undefined ? [] : ['--threads', values.threads];
const bookRng = values['book-rng'] ? ['--book-rng'] : [];
const result = spawnSync(
  '/usr/bin/python3',
  [script, '--ids', idsPath, '--seed', values.seed, ...threads, ...bookRng],
  {
    stdio: 'inherit',
  },
);
rmSync(folder, { recursive: true, force: true });
process.exitCode = result.status ?? 1;

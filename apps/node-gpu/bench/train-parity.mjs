#!/usr/bin/env node
/**
 * Trains the same seeded model for N steps in scratchgpt and in PyTorch (tools/reference/train_parity.py)
 * at the chapter 5 settings with the randomness taken out: dropout 0, batches of 2 windows of 256 in
 * order, AdamW lr 4e-4 and weight decay 0.1. scratchgpt computes each batch as 2 accumulated
 * micro-batches of 1, as chapter5.mjs does. Prints both losses at every step, then the largest loss
 * difference and how far the final weights are apart, as JSON. Where chapter5.mjs shows that training
 * converges, this shows that it computes what PyTorch computes, step for step.
 *
 *   node apps/node-gpu/bench/train-parity.mjs [--steps 18] [--backend auto] [--seed 123] [--config gpt2-small]
 *
 * Needs a build (`pnpm build`) and Debian's python3-torch. `--config tiny` takes minutes less.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { splitTrainValidation } from '@scratchgpt/data-loader';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '18' },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '123' },
    config: { type: 'string', default: 'gpt2-small' },
  },
});
const dataPath = fileURLToPath(new URL('../../../data/the-verdict.txt', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const reference = fileURLToPath(new URL('../../../tools/reference/train_parity.py', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'train-parity-'));
const jsonLines = (text) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

try {
  // The same ids the CLI trains on: the first 90% of the characters, GPT-2's BPE.
  const { train } = splitTrainValidation(readFileSync(dataPath, 'utf8'), 0.9);
  const idsPath = join(folder, 'ids.json');
  writeFileSync(
    idsPath,
    JSON.stringify({ train: getGPT2Tokenizer().encode(train, { allowedSpecial: 'all' }) }),
  );

  const initDir = join(folder, 'init');
  const outDir = join(folder, 'scratchgpt');
  const python = (args) =>
    execFileSync('/usr/bin/python3', [reference, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
  python(['init', initDir, '--seed', values.seed, '--config', values.config]);

  const scratchgptEvents = jsonLines(
    execFileSync(
      process.execPath,
      [
        cli,
        'train',
        '--model',
        initDir,
        '--out',
        outDir,
        '--data',
        dataPath,
        '--batch-size',
        '1',
        '--grad-accum',
        '2',
        '--no-shuffle',
        '--steps',
        values.steps,
        '--lr',
        '4e-4',
        '--weight-decay',
        '0.1',
        '--eval-every',
        '0',
        '--backend',
        values.backend,
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
    ),
  );
  const pytorchLines = jsonLines(
    python([
      'train',
      '--ids',
      idsPath,
      '--init',
      initDir,
      '--steps',
      values.steps,
      '--against',
      outDir,
      '--threads',
      '1',
    ]),
  );

  const ours = scratchgptEvents.filter((event) => event.event === 'step');
  const theirs = pytorchLines.filter((line) => 'loss' in line);
  const weights = pytorchLines.at(-1);
  if (ours.length !== theirs.length)
    throw new Error(`scratchgpt ran ${ours.length} steps, PyTorch ${theirs.length}`);
  let maxLossDiff = 0;
  for (const [i, step] of ours.entries()) {
    const diff = Math.abs(step.loss - theirs[i].loss);
    maxLossDiff = Math.max(maxLossDiff, diff);
    console.error(
      `step ${step.step}: scratchgpt ${step.loss.toFixed(6)}, PyTorch ${theirs[i].loss.toFixed(6)}, diff ${diff.toExponential(2)}`,
    );
  }
  console.log(
    JSON.stringify({
      config: values.config,
      seed: Number(values.seed),
      steps: ours.length,
      firstLoss: theirs[0].loss,
      lastLoss: theirs.at(-1).loss,
      maxLossDiff,
      weightsMaxAbsDiff: weights.weightsMaxAbsDiff,
      worstTensor: weights.worstTensor,
      weightsDiffOverChange: weights.diffOverChange,
    }),
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}

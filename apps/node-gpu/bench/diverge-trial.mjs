#!/usr/bin/env node
/**
 * Runs that must diverge, scripted: is a non-finite step ever saved or reported as a success?
 *
 *   node apps/node-gpu/bench/diverge-trial.mjs [--backend wasm]
 *
 * `train` and `classify train` on a tiny model, each from scratch and resumed from a good run at step
 * 2, with settings whose updates overflow float32 (lr · weight decay, large rates with no clipping),
 * saving after every step. After each run every tensor of the checkpoint it left (weights and AdamW
 * moments) is read back. Prints the counts as JSON: successes (exit 0) whose checkpoint is not finite,
 * non-finite checkpoints in all, "unexpected error"s, errors longer than one line, and runs whose last
 * good checkpoint was replaced. Needs a build (`pnpm build`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSafetensors } from '@scratchgpt/tensor';
import { tinyWorkspace } from './tiny-workspace.mjs';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' } } });
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const { work, config } = tinyWorkspace('diverge-trial-');
const texts = join(work, 'texts.tsv');
writeFileSync(
  texts,
  Array.from({ length: 40 }, (_, i) =>
    i % 2 ? `spam\tWin a prize now ${i}` : `ham\tSee you at dinner ${i}`,
  ).join('\n'),
);

const commands = {
  train: ['train', '--eval-every', '0'],
  classify: [
    'classify',
    'train',
    '--data',
    texts,
    '--batch-size',
    '4',
    '--eval-every',
    '0',
    '--no-final-eval',
  ],
};
const diverging = [
  ['--lr', '1', '--weight-decay', '1e39'],
  ['--lr', '1', '--weight-decay', '1e38'],
  ['--lr', '0.5', '--weight-decay', '1e37'],
  ['--lr', '1e-3', '--weight-decay', '1e39'],
  ['--lr', '1', '--weight-decay', '3e38', '--warmup-steps', '1'],
  ['--lr', '1', '--weight-decay', '0'],
  ['--lr', '1', '--weight-decay', '1e39', '--grad-accum', '3'],
  ['--lr', '1', '--weight-decay', '1e39', '--grad-clip', '1'],
];

function cliRun(args) {
  return spawnSync(process.execPath, [cli, ...args, '--backend', values.backend, '--checkpoint-every', '1'], {
    encoding: 'utf8',
  });
}

/** The step of the directory's checkpoint, and whether all its tensors are finite; undefined if none. */
function checkpointOf(dir) {
  const manifestPath = join(dir, 'checkpoint.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const step = join(dir, manifest.checkpoint);
  let finite = true;
  for (const file of ['model.safetensors', 'classifier.safetensors', 'training-state.safetensors']) {
    if (!existsSync(join(step, file))) continue;
    for (const tensor of parseSafetensors(readFileSync(join(step, file))).tensors.values()) {
      if (tensor.data instanceof Float32Array && !tensor.data.every(Number.isFinite)) finite = false;
    }
  }
  return { step: manifest.step, finite };
}

const counts = {
  runs: 0,
  succeeded: 0,
  nonFiniteReportedAsSuccess: 0,
  nonFiniteCheckpoints: 0,
  lastGoodReplaced: 0,
  unexpectedError: 0,
  multiLineError: 0,
};
const own = (stderr) =>
  stderr
    .split('\n')
    .filter(
      (l) => l !== '' && !l.startsWith('backend: ') && !l.startsWith('  skipped ') && !l.startsWith('\r'),
    );

for (const [name, command] of Object.entries(commands)) {
  const base = join(work, `${name}-base`);
  const made = cliRun([...command, '--config', config, '--steps', '2', '--out', base]);
  if (made.status !== 0) throw new Error(`${name}: the good run failed: ${made.stderr}`);
  diverging.forEach((flags, i) => {
    for (const resumed of [false, true]) {
      const dir = join(work, `${name}-${i}-${resumed ? 'resumed' : 'new'}`);
      if (resumed) cpSync(base, dir, { recursive: true });
      const where = resumed ? ['--model', dir] : ['--config', config, '--out', dir];
      const result = cliRun([...command, ...where, '--steps', '6', ...flags]);
      const saved = checkpointOf(dir);
      counts.runs++;
      if (result.status === 0) counts.succeeded++;
      if (saved && !saved.finite) {
        counts.nonFiniteCheckpoints++;
        if (result.status === 0) counts.nonFiniteReportedAsSuccess++;
      }
      if (resumed && !saved?.finite) counts.lastGoodReplaced++;
      const lines = own(result.stderr);
      if (result.status !== 0) {
        if (/unexpected error/.test(result.stderr)) counts.unexpectedError++;
        const errorLines = lines.filter((l) => l.startsWith('scratchgpt: ') || /^\s/.test(l));
        if (errorLines.length !== 1) counts.multiLineError++;
        process.stderr.write(`${name} ${flags.join(' ')}${resumed ? ' (resumed)' : ''}: ${lines.at(-1)}\n`);
      } else {
        process.stderr.write(
          `${name} ${flags.join(' ')}${resumed ? ' (resumed)' : ''}: exit 0, step ${saved?.step}\n`,
        );
      }
    }
  });
}
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(counts, null, 2));

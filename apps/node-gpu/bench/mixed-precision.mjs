#!/usr/bin/env node
/**
 * Mixed precision against float32: the CLI trains gpt-tiny (GPT-2's vocabulary, emb 128, 4 heads,
 * 2 layers, context 64) on the-verdict for N steps in f32, f16 and bf16 from the same seed (same
 * weights, same batches, same dropout masks), and prints as JSON each precision's final validation
 * loss, its largest per-step loss difference from f32, the steps f16 skipped, and its step time as a
 * ratio to f32's (the mean of the steps after the first five, measured in the same script).
 *
 *   node apps/node-gpu/bench/mixed-precision.mjs [--steps 200] [--backend wasm] [--batch-size 2]
 *
 * Needs a build (`pnpm build`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200' },
    backend: { type: 'string', default: 'wasm' },
    'batch-size': { type: 'string', default: '2' },
    precisions: { type: 'string', default: 'f32,f16,bf16' },
  },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixed-precision-'));
const WARM_UP = 5;

function train(precision) {
  const args = [
    cli,
    'train',
    '--config',
    'gpt-tiny',
    '--steps',
    values.steps,
    '--batch-size',
    values['batch-size'],
    '--precision',
    precision,
    '--eval-every',
    values.steps,
    '--eval-batches',
    '1000',
    '--backend',
    values.backend,
    '--out',
    join(folder, precision),
    '--json',
  ];
  const stdout = execFileSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const events = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const steps = events.filter((e) => e.event === 'step');
  const evals = events.filter((e) => e.event === 'eval');
  const timed = steps.slice(WARM_UP);
  // tokensPerSec is per step: the step's time is its tokens over it.
  const tokensPerStep = Number(values['batch-size']) * 64;
  const secondsPerStep = timed.reduce((sum, s) => sum + tokensPerStep / s.tokensPerSec, 0) / timed.length;
  return {
    losses: steps.map((s) => s.loss),
    valLoss: evals.at(-1)?.valLoss ?? null,
    skipped: steps.filter((s) => s.skipped).length,
    lossScale: steps.at(-1)?.lossScale ?? null,
    secondsPerStep,
  };
}

try {
  const runs = Object.fromEntries(values.precisions.split(',').map((p) => [p, train(p)]));
  const f32 = runs.f32;
  const result = {
    backend: values.backend,
    steps: Number(values.steps),
    batchSize: Number(values['batch-size']),
    f32: { valLoss: f32.valLoss, secondsPerStep: f32.secondsPerStep },
  };
  for (const [precision, run] of Object.entries(runs)) {
    if (precision === 'f32') continue;
    const differences = run.losses.map((loss, i) => Math.abs(loss - f32.losses[i]));
    const largest = Math.max(...differences);
    result[precision] = {
      valLoss: run.valLoss,
      valLossRelativeToF32: (run.valLoss - f32.valLoss) / f32.valLoss,
      largestLossDifference: largest,
      atStep: differences.indexOf(largest) + 1,
      skippedSteps: run.skipped,
      finalLossScale: run.lossScale,
      secondsPerStep: run.secondsPerStep,
      stepTimeRatioToF32: run.secondsPerStep / f32.secondsPerStep,
    };
  }
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(folder, { recursive: true, force: true });
}

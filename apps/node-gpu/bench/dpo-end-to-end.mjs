#!/usr/bin/env node
/**
 * The chapter 7 bonus end to end on a CPU: after instruct-end-to-end.mjs (a small GPT pretrained and
 * instruction-tuned into OUT/instruct, run first when it is not there yet), preference-tune that run
 * with `instruct dpo` on the book's 935 training pairs, and report as one JSON object the validation
 * reward margin, preference accuracy and DPO loss before and after (before: the policy is its own
 * reference, so the margin is 0 and the loss ln 2), the time, and the first three validation answers
 * before and after (greedy, at most 64 new tokens, via `instruct respond`).
 *
 *   node apps/node-gpu/bench/dpo-end-to-end.mjs [--out runs/instruct-e2e] [--backend auto]
 *        [--beta 0.1] [--lr 1e-4] [--epochs 1] [--eval-every 29] [any flag of instruct-end-to-end.mjs]
 *
 * Flags this script does not know go to instruct-end-to-end.mjs. The evaluations read all 55
 * validation pairs (7 batches of 8) and the first 7 training batches. A completed stage is reused, an
 * interrupted one resumes: run it again.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliStages, runDone } from './cli-stages.mjs';

const { values, tokens } = parseArgs({
  options: {
    out: { type: 'string', default: join('runs', 'instruct-e2e') },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '123' },
    beta: { type: 'string', default: '0.1' },
    lr: { type: 'string', default: '1e-4' },
    epochs: { type: 'string', default: '1' },
    'eval-every': { type: 'string', default: '29' },
  },
  strict: false,
  tokens: true,
});
const instructScript = fileURLToPath(new URL('./instruct-end-to-end.mjs', import.meta.url));
const preferences = fileURLToPath(
  new URL('../../../data/instruction-data-with-preference.json', import.meta.url),
);
const out = values.out;
const common = ['--backend', values.backend, '--seed', values.seed];
const known = new Set(['beta', 'lr', 'epochs', 'eval-every']);

/** The flags meant for instruct-end-to-end.mjs: all but this script's own DPO flags. */
function instructFlags() {
  const passed = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || known.has(token.name)) continue;
    passed.push(token.rawName, ...(token.value === undefined ? [] : [token.value]));
  }
  return passed;
}

const stage = cliStages(out, [...common, '--json']);

// 1. The instruction-tuned run (the other script reuses its own completed stages).
const tuned = join(out, 'instruct');
if (!existsSync(join(out, 'tuning.events.json'))) {
  console.error('dpo-end-to-end: running instruct-end-to-end.mjs first');
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [instructScript, ...instructFlags()], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`instruct-end-to-end.mjs exited with ${code}`)),
    );
  });
}

/** The first three validation entries' greedy answers of `model`. */
async function answers(name, model) {
  const file = join(out, `${name}.json`);
  await stage(name, [
    'instruct',
    'respond',
    '--model',
    model,
    '--data',
    preferences,
    '--split',
    'validation',
    '--limit',
    '3',
    '--max-new-tokens',
    '64',
    '--out',
    file,
    '--force',
  ]);
  return JSON.parse(await readFile(file, 'utf8'));
}

const before = await answers('dpo-answers-before', tuned);
// The validation split is the file's last 5%: its first entries, with their two answers.
const pairs = JSON.parse(await readFile(preferences, 'utf8'));
const validationPairs = pairs.slice(Math.floor(pairs.length * 0.85) + Math.floor(pairs.length * 0.1));

// 2. DPO on the training pairs, evaluating on all 55 validation pairs.
const dpoRun = join(out, 'dpo');
const tuning = await stage(
  'dpo',
  runDone(dpoRun)
    ? ['instruct', 'dpo', '--model', dpoRun, '--epochs', values.epochs]
    : [
        'instruct',
        'dpo',
        '--model',
        tuned,
        '--out',
        dpoRun,
        '--beta',
        values.beta,
        '--lr',
        values.lr,
        '--epochs',
        values.epochs,
        '--batch-size',
        '8',
        '--eval-every',
        values['eval-every'],
        '--eval-batches',
        '7',
      ],
);
const after = await answers('dpo-answers-after', dpoRun);
const evals = tuning.events.filter((e) => e.event === 'eval');
const first = evals[0]?.step === 0 ? evals[0] : undefined;
const last = evals.at(-1);
const figures = (event) =>
  event && {
    step: event.step,
    trainLoss: event.trainLoss,
    valLoss: event.valLoss,
    validationMargin: event.validation.margin,
    validationAccuracy: event.validation.accuracy,
    validationChosen: event.validation.chosen,
    validationRejected: event.validation.rejected,
    trainMargin: event.train.margin,
    trainAccuracy: event.train.accuracy,
  };

console.log(
  JSON.stringify(
    {
      instructRun: tuned,
      backend: values.backend,
      dpo: {
        beta: Number(values.beta),
        lr: Number(values.lr),
        epochs: Number(values.epochs),
        batchSize: 8,
        steps: tuning.events.at(-1)?.step,
        seconds: Math.round(tuning.seconds),
        before: figures(first),
        after: figures(last),
        marginOverTraining: evals.map((e) => [e.step, Number(e.validation.margin.toFixed(4))]),
      },
      answers: before.map((entry, i) => ({
        instruction: entry.instruction,
        input: entry.input,
        chosen: validationPairs[i]?.chosen,
        rejected: validationPairs[i]?.rejected,
        before: entry.model_response,
        after: after[i]?.model_response,
      })),
    },
    null,
    2,
  ),
);

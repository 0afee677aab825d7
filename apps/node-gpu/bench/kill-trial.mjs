#!/usr/bin/env node
/**
 * `kill -9` during checkpointing, scripted: does a run directory always resume at its last complete
 * checkpoint (or say clearly that it holds none), with no temporary files left after the next start?
 *
 *   node apps/node-gpu/bench/kill-trial.mjs [--random 40] [--backend wasm]
 *
 * Two kinds of kill, on a tiny model that saves after every step:
 *  - at every file operation of a save, one trial each (bench/kill-at-write.mjs counts the opens,
 *    writes, syncs, renames, links and removals under the run directory and kills at the n-th);
 *  - at random moments, half during a resumed run and half during a new run's first saves.
 * After each kill the directory is inspected (checkpoint.json, the step directory it names, the steps
 * recorded in the weights and the training state), then `train --model DIR` (or `--out DIR` where no
 * checkpoint was ever completed) runs one more step: it must start right after the last complete step.
 * Prints the counts as JSON. Needs a build (`pnpm build`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSafetensors } from '@scratchgpt/tensor';
import { tinyWorkspace } from './tiny-workspace.mjs';

const { values } = parseArgs({
  options: { random: { type: 'string', default: '40' }, backend: { type: 'string', default: 'wasm' } },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const hook = fileURLToPath(new URL('./kill-at-write.mjs', import.meta.url));
const { work, config } = tinyWorkspace('kill-trial-');
const common = ['--checkpoint-every', '1', '--eval-every', '0', '--json', '--backend', values.backend];

function train(args, env = {}) {
  return spawnSync(process.execPath, [cli, 'train', ...args, ...common], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

function steps(stdout) {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((event) => event.event === 'step')
    .map((event) => event.step);
}

/** What a killed directory holds: the last complete step, or why it is not resumable. */
function inspect(dir) {
  const manifestPath = join(dir, 'checkpoint.json');
  if (!existsSync(manifestPath)) return { kind: 'none' };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const checkpoint = join(dir, manifest.checkpoint);
  const files = ['config.json', 'model.safetensors', 'training-state.safetensors'];
  if (!files.every((file) => existsSync(join(checkpoint, file))))
    return { kind: 'inconsistent', why: 'files missing' };
  const weightsStep = parseSafetensors(readFileSync(join(checkpoint, 'model.safetensors'))).metadata.step;
  const state = JSON.parse(
    parseSafetensors(readFileSync(join(checkpoint, 'training-state.safetensors'))).metadata.state,
  );
  if (weightsStep !== String(manifest.step) || state.step !== manifest.step) {
    return {
      kind: 'inconsistent',
      why: `manifest ${manifest.step}, weights ${weightsStep}, state ${state.step}`,
    };
  }
  return { kind: 'complete', step: manifest.step };
}

/** Temporary files and step directories checkpoint.json does not name. */
function leftovers(dir) {
  if (!existsSync(dir)) return [];
  const found = readdirSync(dir).filter((name) => name.includes('.tmp-'));
  const current = existsSync(join(dir, 'checkpoint.json'))
    ? JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).checkpoint
    : undefined;
  const steps = existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')) : [];
  return [...found, ...steps.filter((name) => `checkpoints/${name}` !== current)];
}

const tally = () => ({
  trials: 0,
  complete: 0,
  noCheckpointYet: 0,
  inconsistent: 0,
  lost: 0,
  resumeFailed: 0,
  leftoverAfterNextStart: 0,
  leftoverBeforeNextStart: 0,
});

/** Inspects a killed directory, then starts it again for one step and checks where it started. */
function judge(dir, counts, hadCheckpoint) {
  counts.trials++;
  counts.leftoverBeforeNextStart += leftovers(dir).length;
  const found = inspect(dir);
  let next;
  if (found.kind === 'complete') {
    counts.complete++;
    next = train(['--model', dir, '--steps', String(found.step + 1)]);
    if (next.status !== 0 || steps(next.stdout)[0] !== found.step + 1) counts.resumeFailed++;
  } else if (found.kind === 'none') {
    if (hadCheckpoint) counts.lost++;
    else counts.noCheckpointYet++;
    next = train(['--config', config, '--out', dir, '--steps', '1']);
    if (next.status !== 0 || steps(next.stdout)[0] !== 1) counts.resumeFailed++;
  } else {
    counts.inconsistent++;
    console.error(`inconsistent: ${dir}: ${found.why}`);
    return;
  }
  if (next.status !== 0)
    console.error(`next start failed in ${dir}: ${next.stderr.trim().split('\n').at(-1)}`);
  counts.leftoverAfterNextStart += leftovers(dir).length;
}

// A run at step 2 that every trial starts from.
const base = join(work, 'base');
const made = train(['--config', config, '--out', base, '--steps', '2']);
if (made.status !== 0) throw new Error(`the base run failed: ${made.stderr}`);

// 1. Kill at each file operation of one resumed step (its cleanup, its save, its loss plot).
const countFile = join(work, 'count');
const probe = join(work, 'probe');
cpSync(base, probe, { recursive: true });
train(['--model', probe, '--steps', '3'], {
  NODE_OPTIONS: `--import=${hook}`,
  KILL_DIR: probe,
  KILL_AT: '0',
  KILL_COUNT_FILE: countFile,
});
const operations = Number(readFileSync(countFile, 'utf8'));
const atWrite = tally();
for (let n = 1; n <= operations; n++) {
  const dir = join(work, `write-${n}`);
  cpSync(base, dir, { recursive: true });
  const killed = train(['--model', dir, '--steps', '3'], {
    NODE_OPTIONS: `--import=${hook}`,
    KILL_DIR: dir,
    KILL_AT: String(n),
  });
  if (killed.signal !== 'SIGKILL') throw new Error(`operation ${n} of ${operations} did not kill the run`);
  judge(dir, atWrite, true);
  process.stderr.write(`killed at operation ${n} of ${operations}\n`);
}

// 2. Kill at random moments, while a run saves after every step.
function killAfter(args, ms) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train', ...args, ...common], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}
const random = tally();
let seed = 12345;
const uniform = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
for (let k = 0; k < Number(values.random); k++) {
  const dir = join(work, `random-${k}`);
  const resumed = k % 2 === 0;
  if (resumed) cpSync(base, dir, { recursive: true });
  const args = resumed
    ? ['--model', dir, '--steps', '1000']
    : ['--config', config, '--out', dir, '--steps', '1000'];
  const signal = await killAfter(args, 400 + uniform() * 4000);
  if (signal !== 'SIGKILL') console.error(`random trial ${k} ended before the kill`);
  judge(dir, random, resumed);
  process.stderr.write(`random kill ${k + 1} of ${values.random}\n`);
}

console.log(
  JSON.stringify(
    { operationsPerSave: operations, killedAtEachOperation: atWrite, killedAtRandom: random },
    null,
    2,
  ),
);
rmSync(work, { recursive: true, force: true });

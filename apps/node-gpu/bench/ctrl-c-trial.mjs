#!/usr/bin/env node
/**
 * Ctrl-C in a real terminal, scripted: does `pnpm exec scratchgpt train`, run as the CLI's README
 * runs it, always save when Ctrl-C is pressed? In a terminal the key reaches pnpm and the CLI at once,
 * and pnpm forwards a second SIGINT to the CLI.
 *
 *   node apps/node-gpu/bench/ctrl-c-trial.mjs [--trials 20] [--backend wasm]
 *
 * Each trial starts a long run of a tiny model in a detached tmux session, waits for its first steps,
 * presses Ctrl-C (tmux send-keys C-c) at a random moment within the next two seconds, and waits for
 * the command and the CLI under it to end. It counts as saved when the run directory holds a complete
 * checkpoint. Prints the counts as JSON, with the last lines of each failure's terminal. Needs tmux and
 * a build (`pnpm build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tinyWorkspace } from './tiny-workspace.mjs';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '20' }, backend: { type: 'string', default: 'wasm' } },
});
const root = fileURLToPath(new URL('../../../', import.meta.url));
const { work, config } = tinyWorkspace('ctrl-c-trial-');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quote = (arg) => `'${arg.replaceAll("'", "'\\''")}'`;

/** tmux on a server of its own, so that other tmux users on the machine are left alone. */
function tmux(...args) {
  const result = spawnSync('tmux', ['-S', join(work, 'tmux.sock'), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args[0]}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function until(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Whether a process other than tmux's still has `text` in its command line (the CLI may outlive pnpm). */
function running(text) {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (command.includes(text) && !command.startsWith('tmux')) return true;
    } catch {
      // the process ended while being read
    }
  }
  return false;
}

/** One trial: the outcome and what the terminal showed last. */
async function trial(index) {
  const out = join(work, `run-${index}`);
  const session = `trial-${index}`;
  const train = ['npx', '-y', 'pnpm@12.4.2', 'exec', 'scratchgpt', 'train', '--config', config]
    .concat(['--steps', '100000', '--eval-every', '0', '--out', out, '--backend', values.backend])
    .map(quote)
    .join(' ');
  // The pane stays when the command ends, so its exit status and last screen can be read.
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '160',
    '-y',
    '40',
    '-c',
    root,
    train,
    ';',
    'set-option',
    '-t',
    session,
    'remain-on-exit',
    'on',
  );
  try {
    const screen = () => tmux('capture-pane', '-p', '-t', session);
    const ended = () => tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim() === '1';
    // The progress bar shows the steps once training runs.
    const started = () => /step \d+/.test(screen());
    if (!(await until(() => started() || ended(), 120_000)) || !started())
      return { outcome: 'never started', screen: screen() };
    const delayMs = Math.round(Math.random() * 2000);
    await sleep(delayMs);
    tmux('send-keys', '-t', session, 'C-c');
    if (!(await until(() => ended() && !running(out), 60_000)))
      return { outcome: 'hung', delayMs, screen: screen() };
    const manifest = join(out, 'checkpoint.json');
    const saved =
      existsSync(manifest) && existsSync(join(out, JSON.parse(readFileSync(manifest, 'utf8')).checkpoint));
    return { outcome: saved ? 'saved' : 'lost', delayMs, screen: screen() };
  } finally {
    spawnSync('tmux', ['-S', join(work, 'tmux.sock'), 'kill-session', '-t', session]);
    rmSync(out, { recursive: true, force: true });
  }
}

const counts = { trials: 0, saved: 0, lost: 0, hung: 0, 'never started': 0 };
const failures = [];
for (let i = 0; i < Number(values.trials); i++) {
  const result = await trial(i);
  counts.trials++;
  counts[result.outcome]++;
  if (result.outcome !== 'saved')
    failures.push({ trial: i, ...result, screen: result.screen.trim().split('\n').slice(-6) });
  process.stderr.write(
    `trial ${i + 1}: ${result.outcome}${result.delayMs !== undefined ? ` (Ctrl-C ${result.delayMs} ms in)` : ''}\n`,
  );
}
rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ ...counts, failures }, null, 2));
process.exitCode = counts.saved === counts.trials ? 0 : 1;

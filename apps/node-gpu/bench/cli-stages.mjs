/**
 * The stages of the end-to-end benchmarks: each runs the built CLI with --json, as a user would,
 * echoes its evaluations on stderr, and keeps its events in OUT/NAME.events.json once it completes,
 * so running the benchmark again skips it (an interrupted stage's run resumes instead).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Whether a run directory holds a saved checkpoint (then its stage resumes it). */
export const runDone = (dir) => existsSync(join(dir, 'checkpoint.json'));

/** An evaluation as a line: the losses, and a DPO run's validation margin and accuracy. */
function evalLine(event) {
  const rewards = event.validation
    ? `; val margin ${event.validation.margin.toFixed(3)}, accuracy ${event.validation.accuracy.toFixed(3)}`
    : '';
  return `step ${event.step}: train ${event.trainLoss.toFixed(3)}, val ${event.valLoss?.toFixed(3)}${rewards}`;
}

/** Runs a node script, echoing evaluations on stderr; returns its JSON lines and the seconds it took. */
export function runScript(script, args, label) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events = [];
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line);
        events.push(event);
        if (event.event === 'eval') console.error(`${label} ${evalLine(event)}`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${label} exited with ${code}`));
      else resolve({ events, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** `stage(name, args)`: the CLI with `args` and `common` (which holds --json), or its kept events. */
export function cliStages(out, common) {
  return async function stage(name, args) {
    const log = join(out, `${name}.events.json`);
    if (existsSync(log)) return JSON.parse(await readFile(log, 'utf8'));
    const result = await runScript(cli, [...args, ...common], name);
    await writeFile(log, JSON.stringify(result));
    return result;
  };
}

#!/usr/bin/env node
/**
 * The book's chapter 5 pretraining run: GPT-2 small (124M, untied head), context 256, batch 2, AdamW
 * lr 4e-4 and weight decay 0.1, 10 epochs over The Verdict, evaluating every 5 steps on 5 batches.
 * Each batch of 2 is computed as 2 accumulated micro-batches of 1 (the same gradient: both hold 256
 * targets), so the activations fit the wasm backend's 4 GiB heap; evaluations read the same 10 windows.
 * Prints each evaluation and, at the end, the final losses and the wall time as JSON. The book reaches
 * a training loss below 1 and a validation loss below 7.
 *
 *   node apps/node-gpu/bench/chapter5.mjs [--backend auto] [--out runs/chapter5] [--seed 123]
 *
 * Interrupt it with Ctrl-C and run it again to resume.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string', default: join('runs', 'chapter5') },
    seed: { type: 'string', default: '123' },
  },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const resume = existsSync(join(values.out, 'training-state.safetensors'));
const args = resume
  ? ['train', '--model', values.out]
  : [
      'train',
      '--config',
      'gpt2-small',
      '--context',
      '256',
      '--batch-size',
      '1',
      '--grad-accum',
      '2',
      '--lr',
      '4e-4',
      '--weight-decay',
      '0.1',
      '--epochs',
      '10',
      '--eval-every',
      '5',
      '--eval-batches',
      '10',
      '--out',
      values.out,
    ];
const started = performance.now();
const child = spawn(
  process.execPath,
  [cli, ...args, '--backend', values.backend, '--seed', values.seed, '--json'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let last = { trainLoss: null, valLoss: null, step: 0 };
let buffer = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  buffer += chunk;
  const lines = buffer.split('\n');
  buffer = lines.pop() ?? '';
  for (const line of lines) {
    const event = JSON.parse(line);
    if (event.event === 'eval') {
      last = event;
      console.error(
        `step ${event.step}: train ${event.trainLoss.toFixed(3)}, val ${event.valLoss.toFixed(3)}`,
      );
    }
    if (event.event === 'done') {
      const minutes = (performance.now() - started) / 60_000;
      console.log(
        JSON.stringify({
          steps: event.step,
          reason: event.reason,
          trainLoss: last.trainLoss,
          valLoss: last.valLoss,
          minutes,
          resumed: resume,
        }),
      );
    }
  }
});
child.on('close', (code) => process.exit(code ?? 1));

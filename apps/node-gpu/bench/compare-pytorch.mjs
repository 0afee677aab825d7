#!/usr/bin/env node
/**
 * Training throughput of scratchgpt against the PyTorch reference (tools/reference/bench.py) on the same
 * configuration and batch, one after the other on this machine; prints both and their ratio as JSON.
 *
 *   node apps/node-gpu/bench/compare-pytorch.mjs --config tiny --batch-size 4 --context 64 [--steps 5] [--backend auto] [--threads 1]
 *   node apps/node-gpu/bench/compare-pytorch.mjs --config gpt2-small --batch-size 1 --context 256 --steps 2
 *
 * `tiny` is the same model on both sides (vocab 50257, emb 128, 4 heads, 2 layers: scratchgpt's
 * gpt-tiny). Needs a build (`pnpm build`) and Debian's python3-torch.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'tiny' },
    'batch-size': { type: 'string', default: '4' },
    context: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'auto' },
    // The wasm backend runs on one thread in Node, so by default PyTorch gets one too; `--threads 0`
    // leaves PyTorch its own default (every core).
    threads: { type: 'string', default: '1' },
  },
});
const presets = { tiny: 'gpt-tiny', 'gpt2-small': 'gpt2-small' };
const ours = presets[values.config];
if (ours === undefined) throw new Error(`--config must be one of ${Object.keys(presets).join(', ')}`);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const reference = fileURLToPath(new URL('../../../tools/reference/bench.py', import.meta.url));
const shared = ['--batch-size', values['batch-size'], '--context', values.context, '--steps', values.steps];

const run = (command, args) =>
  JSON.parse(
    execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .at(-1),
  );
const scratchgpt = run(process.execPath, [
  cli,
  'bench',
  '--config',
  ours,
  ...shared,
  '--generate-tokens',
  '4',
  '--backend',
  values.backend,
  '--json',
]);
const threads = values.threads === '0' ? [] : ['--threads', values.threads];
const pytorch = run('/usr/bin/python3', [reference, '--config', values.config, ...shared, ...threads]);

console.log(
  JSON.stringify({
    config: values.config,
    batchSize: Number(values['batch-size']),
    context: Number(values.context),
    scratchgpt: { backend: scratchgpt.backend, trainTokensPerSec: scratchgpt.trainTokensPerSec },
    pytorch: { threads: pytorch.threads, trainTokensPerSec: pytorch.trainTokensPerSec },
    ratio: scratchgpt.trainTokensPerSec / pytorch.trainTokensPerSec,
  }),
);

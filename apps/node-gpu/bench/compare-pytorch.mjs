#!/usr/bin/env node
/**
 * Training throughput of scratchgpt against the PyTorch reference (tools/reference/bench.py) on the same
 * configuration, batch and thread count, on this machine; prints every run, the medians and their ratio
 * as JSON.
 *
 *   node apps/node-gpu/bench/compare-pytorch.mjs --config tiny --batch-size 4 --context 64 [--steps 5] [--repeat 3]
 *   node apps/node-gpu/bench/compare-pytorch.mjs --config gpt2-small --batch-size 1 --context 256 --steps 2
 *
 * The two run one after the other, `--repeat` times, so a change in the machine's load hits both.
 * PyTorch gets its best BLAS kernels: it runs once per OpenBLAS kernel set in `--coretypes` (by default
 * each AVX set this CPU can run: OpenBLAS 0.3.21 does not know recent CPUs and would fall back to SSE3)
 * and the fastest median is the baseline. Both sides get `--threads` threads (default: every core,
 * which the blas backend uses). `tiny` is the same model on both sides (vocab 50257, emb 128, 4 heads,
 * 2 layers: scratchgpt's gpt-tiny). Needs a build (`pnpm build`) and Debian's python3-torch.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkCoreTypes, median, runnableCoreTypes } from './pytorch-kernels.mjs';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'tiny' },
    'batch-size': { type: 'string', default: '4' },
    context: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: String(availableParallelism()) },
    coretypes: { type: 'string', default: runnableCoreTypes.join(',') },
    repeat: { type: 'string', default: '3' },
  },
});
const presets = { tiny: 'gpt-tiny', 'gpt2-small': 'gpt2-small' };
const ours = presets[values.config];
if (ours === undefined) throw new Error(`--config must be one of ${Object.keys(presets).join(', ')}`);
const coreTypes = values.coretypes.split(',').filter(Boolean);
checkCoreTypes(coreTypes);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const reference = fileURLToPath(new URL('../../../tools/reference/bench.py', import.meta.url));
const shared = ['--batch-size', values['batch-size'], '--context', values.context, '--steps', values.steps];
const threads = Number(values.threads);

const run = (command, args, env) =>
  JSON.parse(
    execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env })
      .trim()
      .split('\n')
      .at(-1),
  );
// scratchgpt's threads: OpenBLAS's (the blas backend sets every core unless this says otherwise).
const ourEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
const info = run(process.execPath, [cli, 'info', '--backend', values.backend, '--json'], ourEnv);

const runs = [];
for (let i = 0; i < Number(values.repeat); i++) {
  const scratchgpt = run(
    process.execPath,
    [cli, 'bench', '--config', ours, ...shared, '--only', 'train', '--backend', values.backend, '--json'],
    ourEnv,
  );
  const pytorch = {};
  for (const coreType of coreTypes) {
    pytorch[coreType] = run(
      '/usr/bin/python3',
      [reference, '--config', values.config, ...shared, '--threads', String(threads)],
      { ...process.env, OPENBLAS_CORETYPE: coreType, OPENBLAS_NUM_THREADS: String(threads) },
    );
  }
  runs.push({
    scratchgpt: scratchgpt.trainTokensPerSec,
    pytorch: Object.fromEntries(coreTypes.map((set) => [set, pytorch[set].trainTokensPerSec])),
    pytorchKernels: Object.fromEntries(coreTypes.map((set) => [set, pytorch[set].blas?.coreType ?? null])),
    pytorchThreads: pytorch[coreTypes[0]]?.threads,
    loadAverage: Number(loadavg()[0].toFixed(2)),
  });
}

const ourMedian = median(runs.map((r) => r.scratchgpt));
const pytorchMedians = Object.fromEntries(
  coreTypes.map((set) => [set, median(runs.map((r) => r.pytorch[set]))]),
);
const best = coreTypes.reduce((a, b) => (pytorchMedians[b] > pytorchMedians[a] ? b : a), coreTypes[0]);
const details = info.limits.details;
console.log(
  JSON.stringify({
    config: values.config,
    batchSize: Number(values['batch-size']),
    context: Number(values.context),
    steps: Number(values.steps),
    threads,
    scratchgpt: {
      backend: info.chosen,
      kernels: details.blasCoreType ?? (details.simd ? 'wasm SIMD' : 'wasm'),
      blas: details.blas ?? null,
      trainTokensPerSec: ourMedian,
    },
    pytorch: { coreType: best, trainTokensPerSec: pytorchMedians[best], byCoreType: pytorchMedians },
    ratio: ourMedian / pytorchMedians[best],
    runs,
  }),
);

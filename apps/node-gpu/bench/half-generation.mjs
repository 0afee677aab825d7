#!/usr/bin/env node
/**
 * Generation with the KV cache of GPT-2 small (the `gpt2-small` preset, random weights) with its
 * weights stored in f32, bf16 and f16, on each backend, next to the book's GPT-2 generating with a KV
 * cache in PyTorch (tools/reference/gpt2_kv_generate.py) on the same machine; prints every run, the
 * medians, the ratios to f32 and each process's peak memory as JSON.
 *
 *   node apps/node-gpu/bench/half-generation.mjs
 *   node apps/node-gpu/bench/half-generation.mjs --backends wasm --precisions f32,bf16 --new-tokens 16 --repeat 3
 *
 * Generation with the cache reads every weight once per token (497 MB in f32), so storing them in 16
 * bits is meant to nearly double its speed. Each measurement is a fresh process: a --prompt-tokens prompt
 * of random ids, an untimed two-token warm-up, then --new-tokens greedy tokens timed; its peak resident
 * memory (`process.resourceUsage().maxRSS`; Dawn's software adapter keeps its buffers there too) is
 * reported beside it. PyTorch gets its best BLAS kernels: it runs once per OpenBLAS kernel set in
 * `--coretypes`, and the fastest median is reported. Both sides get `--threads` threads. Needs a build
 * (`pnpm build`) and Debian's python3-torch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkCoreTypes, median, runnableCoreTypes } from './pytorch-kernels.mjs';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'blas,wasm,webgpu' },
    precisions: { type: 'string', default: 'f32,bf16,f16' },
    'prompt-tokens': { type: 'string', default: '32' },
    'new-tokens': { type: 'string', default: '32' },
    threads: { type: 'string', default: String(availableParallelism()) },
    coretypes: { type: 'string', default: runnableCoreTypes.join(',') },
    repeat: { type: 'string', default: '1' },
    // Internal: one measurement in this process (the comparison runs itself with it).
    'measure-once': { type: 'boolean' },
    backend: { type: 'string' },
    precision: { type: 'string' },
  },
});

const BACKENDS = ['blas', 'wasm', 'webgpu', 'cpu'];
const PRECISIONS = ['f32', 'bf16', 'f16'];
const listed = (flag, known) => {
  const chosen = values[flag].split(',').filter(Boolean);
  for (const name of chosen) {
    if (!known.includes(name)) throw new Error(`--${flag}: '${name}' is not one of ${known.join(', ')}`);
  }
  return chosen;
};

if (values['measure-once']) await measureOnce(values.backend, values.precision);
else compare();

/** One measurement, printed as a JSON line. */
async function measureOnce(backend, precision) {
  const { GPTModel, generate, preset } = await import('@scratchgpt/gpt-model');
  const { Generator, initBackend, manualSeed, tf } = await import('@scratchgpt/tensor');
  const loaders = { blas: () => import('koffi'), webgpu: () => import('webgpu') };
  const choice = await initBackend({ prefer: backend, loaders });
  manualSeed(123);
  const model = new GPTModel(preset('gpt2-small', { dropRate: 0 }));
  const parameters = model.numParameters();
  if (precision !== 'f32') await model.storeWeights(precision);
  const random = new Generator(123);
  const prompt = Array.from({ length: Number(values['prompt-tokens']) }, () => random.randint(0, 50257));
  const newTokens = Number(values['new-tokens']);
  await generate(model, prompt, { maxNewTokens: 2 });
  const started = performance.now();
  await generate(model, prompt, { maxNewTokens: newTokens });
  const seconds = (performance.now() - started) / 1000;
  const result = {
    backend: choice.backend,
    precision,
    parameters,
    generateTokensPerSec: newTokens / seconds,
    seconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    tensorBytes: tf.memory().numBytes,
    loadAverage: Number(loadavg()[0].toFixed(2)),
  };
  model.dispose();
  console.log(JSON.stringify(result));
}

function compare() {
  const backends = listed('backends', BACKENDS);
  const precisions = listed('precisions', PRECISIONS);
  const coreTypes = values.coretypes.split(',').filter(Boolean);
  checkCoreTypes(coreTypes);
  const self = fileURLToPath(import.meta.url);
  const reference = fileURLToPath(new URL('../../../tools/reference/gpt2_kv_generate.py', import.meta.url));
  const { threads } = values;
  const sizes = ['--prompt-tokens', values['prompt-tokens'], '--new-tokens', values['new-tokens']];
  const lastLine = (text) => JSON.parse(text.trim().split('\n').at(-1));
  const ourEnv = { ...process.env, OPENBLAS_NUM_THREADS: threads };
  /** A measurement, or the error it failed with, so the other figures are still taken. */
  const ours = (backend, precision) => {
    const args = [self, '--measure-once', '--backend', backend, '--precision', precision, ...sizes];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: ourEnv, maxBuffer: 2 ** 26 });
    process.stderr.write(result.stderr);
    if (result.status === 0) return lastLine(result.stdout);
    const error = /^\w*Error: .*$/m.exec(result.stderr)?.[0] ?? `exit ${result.status ?? result.signal}`;
    return { error };
  };
  const repeat = Number(values.repeat);
  const results = [];
  for (const backend of backends) {
    const byPrecision = {};
    for (const precision of precisions) {
      const runs = [];
      for (let i = 0; i < repeat; i++) {
        const run = ours(backend, precision);
        console.error(JSON.stringify({ backend, precision, run: i + 1, ...run }));
        runs.push(run);
      }
      const speeds = runs.map((r) => r.generateTokensPerSec).filter((x) => x !== undefined);
      byPrecision[precision] = {
        tokensPerSec: speeds.length > 0 ? median(speeds) : null,
        peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes ?? 0)) || null,
        tensorBytes: runs.find((r) => r.tensorBytes !== undefined)?.tensorBytes ?? null,
        ...(runs.some((r) => r.error) ? { errors: runs.map((r) => r.error).filter(Boolean) } : {}),
        loadAverages: runs.map((r) => r.loadAverage ?? null),
      };
    }
    const f32 = byPrecision.f32?.tokensPerSec;
    for (const entry of Object.values(byPrecision)) {
      entry.ratioToF32 = f32 && entry.tokensPerSec ? entry.tokensPerSec / f32 : null;
    }
    results.push({ backend, ...byPrecision });
  }
  const pytorchRuns = Object.fromEntries(
    coreTypes.map((coreType) => {
      const runs = Array.from({ length: repeat }, () =>
        lastLine(
          execFileSync('/usr/bin/python3', [reference, ...sizes, '--threads', threads], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, OPENBLAS_CORETYPE: coreType, OPENBLAS_NUM_THREADS: threads },
          }),
        ),
      );
      return [coreType, runs];
    }),
  );
  const byCoreType = Object.fromEntries(
    coreTypes.map((set) => [set, median(pytorchRuns[set].map((r) => r.generateTokensPerSec))]),
  );
  const best = coreTypes.reduce((a, b) => (byCoreType[b] > byCoreType[a] ? b : a), coreTypes[0]);
  console.log(
    JSON.stringify({
      threads: Number(threads),
      promptTokens: Number(values['prompt-tokens']),
      newTokens: Number(values['new-tokens']),
      results,
      pytorch: {
        coreType: best,
        kernels: pytorchRuns[best][0].blas?.coreType ?? null,
        tokensPerSec: byCoreType[best],
        byCoreType,
        parameters: pytorchRuns[best][0].parameters,
        peakRssBytes: Math.max(...pytorchRuns[best].map((r) => r.peakRssBytes)),
      },
      loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
    }),
  );
}

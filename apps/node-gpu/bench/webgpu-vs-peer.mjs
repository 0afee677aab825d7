#!/usr/bin/env node
/**
 * Training tokens/s on WebGPU, one script, one adapter: scratchgpt with its own kernels, scratchgpt with
 * TF.js's stock WebGPU kernels, and `@genai-fi/nanogpt` 1.3.0 (a TF.js GPT trainer with its own WGSL
 * kernels), on the same model size and batch. Each contender runs in its own process (the peer bundles
 * its own TF.js), one after another, for --rounds rounds; the best round of each counts, because other
 * work on the machine only ever slows a run down. Prints JSON with the ratios.
 *
 *   node apps/node-gpu/bench/webgpu-vs-peer.mjs [--rounds 2] [--steps 3]
 *
 * The size is the CLI's gpt-tiny at context 64, batch 4: vocabulary 50257, emb 128, 4 heads, 2 layers,
 * dropout 0.1. Needs a build (`pnpm build`) and a WebGPU adapter.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, steps: { type: 'string', default: '3' } },
});
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const run = (args, env = {}) =>
  JSON.parse(
    execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, ...env },
      maxBuffer: 1 << 24,
    })
      .trim()
      .split('\n')
      .at(-1),
  );
const ours = (kernels) =>
  run(
    [here('../dist/cli.js'), 'bench', '--config', 'gpt-tiny', '--batch-size', '4', '--context', '64'].concat([
      '--steps',
      values.steps,
      '--backend',
      'webgpu',
      '--only',
      'train',
      '--json',
    ]),
    { SCRATCHGPT_WEBGPU_KERNELS: kernels },
  );
const contenders = {
  scratchgpt: () => ours('scratchgpt'),
  scratchgptStockKernels: () => ours('tfjs'),
  nanogpt: () => run([here('./nanogpt-train.mjs'), '--steps', values.steps]),
};

const best = {};
const rounds = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const measured = {};
  for (const [name, measure] of Object.entries(contenders)) {
    const result = measure();
    measured[name] = Number(result.trainTokensPerSec.toFixed(2));
    if (best[name] == null || result.trainTokensPerSec > best[name].trainTokensPerSec) best[name] = result;
    console.error(`round ${round + 1}: ${name} ${measured[name]} tokens/s`);
  }
  rounds.push(measured);
}
const rate = (name) => best[name].trainTokensPerSec;
console.log(
  JSON.stringify(
    {
      config: {
        vocabSize: 50257,
        contextLength: 64,
        embDim: 128,
        nHeads: 4,
        nLayers: 2,
        batchSize: 4,
        dropRate: 0.1,
      },
      adapter: best.nanogpt.adapter,
      rounds,
      bestTokensPerSec: Object.fromEntries(
        Object.keys(contenders).map((name) => [name, Number(rate(name).toFixed(2))]),
      ),
      scratchgptOverPeer: Number((rate('scratchgpt') / rate('nanogpt')).toFixed(2)),
      stockKernelsOverPeer: Number((rate('scratchgptStockKernels') / rate('nanogpt')).toFixed(2)),
      ownOverStockKernels: Number((rate('scratchgpt') / rate('scratchgptStockKernels')).toFixed(2)),
    },
    null,
    2,
  ),
);

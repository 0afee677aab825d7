#!/usr/bin/env node
/**
 * What recomputing the blocks costs and saves: one training step's loss and gradients
 * (`computeGradients` over the trainer's loss, the head fused with it) of GPT-2 medium with random
 * weights, batch 1 × 256 tokens, dropout on, with `recompute: 'none'` and `'blocks'`, on each backend
 * in a process of its own. Reports TF.js's peak bytes above what was held before the step
 * (`tf.profile`: the weights are held before, so the figure is the gradients and the activations) and
 * the median wall time, then the ratios, as JSON. AdamW's update is left out: it is the same either way.
 * Wall times are as noisy as the machine; the bytes are exact.
 *
 * Each backend and mode runs in a process of its own; one that does not fit says so (`failed`).
 *
 *   node apps/node-gpu/bench/recompute.mjs [--backends wasm,blas] [--preset gpt2-medium] [--tied]
 *        [--tokens 256] [--repeats 2]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { calcLossBatch, computeGradients } from '@scratchgpt/trainer';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,blas' },
    backend: { type: 'string' },
    mode: { type: 'string' },
    preset: { type: 'string', default: 'gpt2-medium' },
    tied: { type: 'boolean', default: false },
    tokens: { type: 'string', default: '256' },
    repeats: { type: 'string', default: '2' },
  },
});

if (values.backend === undefined) {
  const results = values.backends.split(',').map((backend) => {
    const modes = Object.fromEntries(['none', 'blocks'].map((mode) => [mode, inChild(backend, mode)]));
    const { none, blocks } = modes;
    const both = none.peakMiB !== undefined && blocks.peakMiB !== undefined;
    return {
      backend,
      ...modes,
      ...(both
        ? {
            peakRatio: +(blocks.peakMiB / none.peakMiB).toFixed(3),
            timeRatio: +(blocks.medianMs / none.medianMs).toFixed(3),
          }
        : {}),
    };
  });
  const { preset: name, tied } = values;
  console.log(
    JSON.stringify({ preset: name, tied, tokens: Number(values.tokens), batch: 1, results }, null, 2),
  );
} else {
  console.log(JSON.stringify(await measure(values.backend, values.mode)));
}

/**
 * One backend and mode in a process of its own: a wasm heap never shrinks (a second measurement would
 * start from the first one's peak), and one that runs out of it aborts the process.
 */
function inChild(backend, mode) {
  const args = [fileURLToPath(import.meta.url), '--backend', backend, '--mode', mode];
  for (const name of ['preset', 'tokens', 'repeats']) args.push(`--${name}`, values[name]);
  if (values.tied) args.push('--tied');
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status === 0) return JSON.parse(child.stdout);
  const lines = `${child.stderr}\n${child.stdout}`.split('\n');
  return { failed: lines.find((line) => /Error|Aborted/.test(line))?.trim() ?? `exit ${child.status}` };
}

async function measure(prefer, recompute) {
  await initBackend({ prefer });
  const tokens = Number(values.tokens);
  const config = preset(values.preset, values.tied ? { tieWeights: true } : {});
  const model = new GPTModel(config, { generator: new Generator(1), recompute });
  model.train();
  const random = new Generator(2);
  const ids = () => Int32Array.from({ length: tokens }, () => random.randint(0, config.vocabSize));
  const batch = { batchSize: 1, length: tokens, inputs: ids(), targets: ids() };
  const step = () => {
    const { loss, grads } = computeGradients(model, () => calcLossBatch(model, batch));
    const value = loss.dataSync()[0];
    tf.dispose([loss, ...grads.values()]);
    return value;
  };
  const weightsMiB = +(tf.memory().numBytes / 2 ** 20).toFixed(1);
  step(); // warm-up: kernels compiled, buffers allocated
  const times = [];
  let peakBytes = 0;
  for (let i = 0; i < Number(values.repeats); i++) {
    const held = tf.memory().numBytes; // the weights, before the step
    const started = performance.now();
    const profile = await tf.profile(step);
    times.push(performance.now() - started);
    peakBytes = Math.max(peakBytes, profile.peakBytes - held);
  }
  times.sort((a, b) => a - b);
  model.dispose();
  return {
    weightsMiB,
    peakMiB: +(peakBytes / 2 ** 20).toFixed(1),
    medianMs: Math.round(times[times.length >> 1]),
  };
}

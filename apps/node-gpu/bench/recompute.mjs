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
 *   node apps/node-gpu/bench/recompute.mjs [--backends wasm,blas] [--preset gpt2-medium]
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
    preset: { type: 'string', default: 'gpt2-medium' },
    tokens: { type: 'string', default: '256' },
    repeats: { type: 'string', default: '2' },
  },
});

if (values.backend === undefined) {
  // One process a backend: a wasm heap never shrinks, so a second backend would start from its peak.
  const results = values.backends.split(',').map((backend) => {
    const args = [fileURLToPath(import.meta.url), '--backend', backend];
    for (const name of ['preset', 'tokens', 'repeats']) args.push(`--${name}`, values[name]);
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0)
      return { backend, failed: (child.stderr || child.stdout).trim().split('\n').at(-1) };
    return JSON.parse(child.stdout);
  });
  console.log(
    JSON.stringify({ preset: values.preset, tokens: Number(values.tokens), batch: 1, results }, null, 2),
  );
} else {
  console.log(JSON.stringify(await measure(values.backend)));
}

async function measure(prefer) {
  const backend = await initBackend({ prefer });
  const tokens = Number(values.tokens);
  const model = new GPTModel(preset(values.preset), { generator: new Generator(1) });
  model.train();
  const random = new Generator(2);
  const ids = () => Int32Array.from({ length: tokens }, () => random.randint(0, model.config.vocabSize));
  const batch = { batchSize: 1, length: tokens, inputs: ids(), targets: ids() };
  const step = () => {
    const { loss, grads } = computeGradients(model, () => calcLossBatch(model, batch));
    const value = loss.dataSync()[0];
    tf.dispose([loss, ...grads.values()]);
    return value;
  };
  const modes = {};
  for (const recompute of ['none', 'blocks']) {
    model.recompute = recompute;
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
    modes[recompute] = {
      peakMiB: +(peakBytes / 2 ** 20).toFixed(1),
      medianMs: Math.round(times[times.length >> 1]),
    };
  }
  const weightsMiB = +(tf.memory().numBytes / 2 ** 20).toFixed(1);
  model.dispose();
  return {
    backend: backend.backend,
    weightsMiB,
    ...modes,
    peakRatio: +(modes.blocks.peakMiB / modes.none.peakMiB).toFixed(3),
    timeRatio: +(modes.blocks.medianMs / modes.none.medianMs).toFixed(3),
  };
}

#!/usr/bin/env node
/**
 * The largest GPT-2 that LoRA-fine-tunes in wasm's 4 GiB heap: one training step (the trainer's loss
 * with the head fused, its gradients, AdamW on the updates) of rank-16 LoRA on GPT-2 presets with random
 * weights and the head tied to the token embedding (as the published checkpoints are), batch 1 × 256
 * tokens, with the frozen base in f32 (products f32) or in bf16 (products in bf16 under autocast, as
 * `--lora-rank 16 --precision bf16` trains), each with and without recomputing the blocks. Reports, as
 * JSON: the tensors held once the model is ready (`weightsMiB`), TF.js's peak bytes during the step
 * (`peakMiB`, `tf.profile`, the weights included; it counts every tensor, so data shared by a reshape
 * or a saved copy counts twice), on wasm the peak of the buffers really held (`livePeakMiB`, each
 * buffer once, `trackWasmTensorBytes`, the weights included), the wasm heap's size after building the model
 * (`buildHeapMiB`: the model is built straight in the base's precision, `buildInPrecision`) and
 * after the step (`heapMiB`: a wasm heap never shrinks, so that is the run's peak), the step's wall
 * time, and the estimate the memory check makes (`estimateMiB`); or the error where it does not fit.
 *
 * Each preset, base and mode runs in a process of its own: a heap that runs out aborts its process.
 *
 *   node apps/node-gpu/bench/lora-memory.mjs [--backends wasm,blas]
 *        [--presets gpt2-small,gpt2-medium,gpt2-large,gpt2-xl] [--bases f32,bf16] [--modes none,blocks]
 *        [--tokens 256] [--rank 16]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { estimateMemory, GPTModel, preset } from '@scratchgpt/gpt-model';
import { applyLoRA } from '@scratchgpt/lora';
import { autocast, buildInPrecision, Generator, initBackend, tf } from '@scratchgpt/tensor';
import { trackWasmTensorBytes } from '@scratchgpt/tensor/testing';
import { AdamW, calcLossBatch, computeGradients } from '@scratchgpt/trainer';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,blas' },
    presets: { type: 'string', default: 'gpt2-small,gpt2-medium,gpt2-large,gpt2-xl' },
    bases: { type: 'string', default: 'f32,bf16' },
    modes: { type: 'string', default: 'none,blocks' },
    tokens: { type: 'string', default: '256' },
    rank: { type: 'string', default: '16' },
    // One measurement, in a child process.
    backend: { type: 'string' },
    preset: { type: 'string' },
    base: { type: 'string' },
    mode: { type: 'string' },
  },
});

const MiB = 2 ** 20;
const mib = (bytes) => +(bytes / MiB).toFixed(1);

if (values.backend === undefined) {
  const results = [];
  for (const backend of values.backends.split(','))
    for (const name of values.presets.split(','))
      for (const base of values.bases.split(','))
        for (const mode of values.modes.split(','))
          results.push({
            backend,
            preset: name,
            base,
            recompute: mode,
            ...inChild(backend, name, base, mode),
          });
  const fits = (result) => result.backend === 'wasm' && result.failed === undefined;
  const largest = results.filter(fits).at(-1);
  console.log(
    JSON.stringify(
      {
        tokens: Number(values.tokens),
        batch: 1,
        rank: Number(values.rank),
        tied: true,
        results,
        largestOnWasm: largest
          ? { preset: largest.preset, base: largest.base, recompute: largest.recompute }
          : null,
      },
      null,
      2,
    ),
  );
} else {
  console.log(JSON.stringify(await measure()));
}

function inChild(backend, name, base, mode) {
  const args = [fileURLToPath(import.meta.url), '--backend', backend, '--preset', name, '--base', base];
  args.push('--mode', mode, '--tokens', values.tokens, '--rank', values.rank);
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status === 0) return JSON.parse(child.stdout);
  const lines = `${child.stderr}\n${child.stdout}`.split('\n');
  const failed = lines.find((line) => /Error|Aborted|memory/i.test(line))?.trim() ?? `exit ${child.status}`;
  return { failed: failed.slice(0, 300) };
}

function heapBytes() {
  const wasm = tf.backend().wasm;
  return wasm?.HEAPU8?.buffer.byteLength;
}

async function measure() {
  await initBackend({ prefer: values.backend });
  const tokens = Number(values.tokens);
  const rank = Number(values.rank);
  const precision = values.base;
  const recompute = values.mode;
  const config = preset(values.preset, { tieWeights: true });
  // Built straight in the base's precision: the f32 model never exists (the same values as building in
  // f32 and then storing, layer by layer).
  const model = buildInPrecision(
    precision,
    () => new GPTModel(config, { generator: new Generator(1), recompute }),
  );
  const buildHeap = heapBytes();
  applyLoRA(model, { rank, alpha: rank, generator: new Generator(3) });
  model.train();
  const trainable = model.namedParameters().filter(([, parameter]) => parameter.trainable);
  const adapterParameters = trainable.reduce((sum, [, parameter]) => sum + parameter.size, 0);
  const optimizer = new AdamW(trainable, { lr: 1e-4 });
  const random = new Generator(2);
  const ids = () => Int32Array.from({ length: tokens }, () => random.randint(0, config.vocabSize));
  const batch = { batchSize: 1, length: tokens, inputs: ids(), targets: ids() };
  const weights = tf.memory().numBytes;
  const live = values.backend === 'wasm' ? trackWasmTensorBytes() : undefined;
  let loss;
  const started = performance.now();
  const profile = await tf.profile(() => {
    const result = autocast(precision, () => computeGradients(model, () => calcLossBatch(model, batch)));
    loss = result.loss.dataSync()[0];
    optimizer.step(result.grads);
    tf.dispose([result.loss, ...result.grads.values()]);
  });
  const stepMs = Math.round(performance.now() - started);
  live?.stop();
  const estimate = estimateMemory(config, {
    batchSize: 1,
    tokens,
    training: true,
    adapterParameters,
    recompute,
    baseWeights: precision,
  });
  const heap = heapBytes();
  return {
    adapterParameters,
    weightsMiB: mib(weights),
    peakMiB: mib(profile.peakBytes),
    ...(live ? { livePeakMiB: mib(weights + live.peak) } : {}),
    estimateMiB: mib(estimate.totalBytes),
    ...(buildHeap !== undefined ? { buildHeapMiB: mib(buildHeap), heapMiB: mib(heap) } : {}),
    stepMs,
    loss: +loss.toFixed(4),
  };
}

#!/usr/bin/env node
/**
 * Each of scratchgpt's WebGPU kernels against TF.js's stock kernels on GPT-2 small's shapes (emb 768,
 * feed-forward 3072, vocabulary 50257, 12 heads, T = 256, batch 2), in one process on one adapter:
 * the same op run with `useWebGPUKernels('scratchgpt')` and with `useWebGPUKernels('tfjs')`,
 * alternately, best of --reps. Prints JSON: seconds for each and the speed-up.
 *
 *   node apps/node-gpu/bench/webgpu-kernels.mjs [--reps 3] [--only matMul,attention] [--head-rows 64]
 *
 * Needs a build (`pnpm build`) and a WebGPU adapter (Dawn's `webgpu` package; on Linux a Vulkan driver).
 */
import { parseArgs } from 'node:util';
import {
  adamwUpdate,
  causalAttention,
  gelu,
  initBackend,
  layerNorm,
  softmaxCrossEntropy,
  tf,
  useWebGPUKernels,
} from '@scratchgpt/tensor';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    // Rows of one chunk of the fused head's logits; the trainer's chunks hold 32 MiB (166 rows).
    'head-rows': { type: 'string', default: '64' },
  },
});
const reps = Number(values.reps);
const headRows = Number(values['head-rows']);
const choice = await initBackend({ prefer: 'webgpu' });
const rows = 2 * 256; // batch × context
const emb = 768;
const hidden = 3072;
const vocab = 50257;
const heads = 12;
// The vocabulary table is 147 MiB, above WebGPU's default 128 MiB binding: the model keeps it in two
// shards, and the head's products run per shard.
const shard = Math.ceil(vocab / 2);

const grad = (f, inputs) => () => {
  const { value, grads } = tf.valueAndGrads((...xs) => tf.sum(f(...xs)))(inputs);
  return [value, ...grads];
};

/** name → [make inputs, run (returns tensors to read)] */
const cases = {
  'matMul (512×768)·(768×3072)': () => {
    const a = tf.randomNormal([rows, emb]);
    const b = tf.randomNormal([emb, hidden]);
    return [[a, b], () => [tf.matMul(a, b)]];
  },
  'matMul (512×3072)·(768×3072)ᵀ': () => {
    const a = tf.randomNormal([rows, hidden]);
    const b = tf.randomNormal([emb, hidden]);
    return [[a, b], () => [tf.matMul(a, b, false, true)]];
  },
  'matMul (512×768)ᵀ·(512×3072)': () => {
    const a = tf.randomNormal([rows, emb]);
    const b = tf.randomNormal([rows, hidden]);
    return [[a, b], () => [tf.matMul(a, b, true, false)]];
  },
  [`head logits (${headRows}×768)·(25129×768)ᵀ`]: () => {
    const x = tf.randomNormal([headRows, emb]);
    const w = tf.randomNormal([shard, emb], 0, 0.02);
    return [[x, w], () => [tf.matMul(x, w, false, true)]];
  },
  [`head d hidden (${headRows}×25129)·(25129×768)`]: () => {
    const d = tf.randomNormal([headRows, shard], 0, 1e-3);
    const w = tf.randomNormal([shard, emb], 0, 0.02);
    return [[d, w], () => [tf.matMul(d, w)]];
  },
  [`softmax cross-entropy + gradient (${headRows}×50257)`]: () => {
    const logits = tf.randomNormal([headRows, vocab]);
    const targets = tf.tensor1d(
      Int32Array.from({ length: headRows }, (_, i) => (i * 7919) % vocab),
      'int32',
    );
    return [
      [logits, targets],
      () => {
        const { loss, dLogits } = softmaxCrossEntropy(logits, targets, { gradient: true });
        return [loss, dLogits];
      },
    ];
  },
  'LayerNorm forward + backward (512×768)': () => {
    const x = tf.randomNormal([2, 256, emb]);
    const scale = tf.randomNormal([emb]);
    const shift = tf.randomNormal([emb]);
    return [[x, scale, shift], grad((a, b, c) => layerNorm(a, b, c), [x, scale, shift])];
  },
  'GELU forward + backward (512×3072)': () => {
    const x = tf.randomNormal([rows, hidden]);
    return [[x], grad((a) => gelu(a), [x])];
  },
  'causal attention forward + backward (2×12×256×64)': () => {
    const shape = [2, heads, 256, emb / heads];
    const q = tf.randomNormal(shape);
    const k = tf.randomNormal(shape);
    const v = tf.randomNormal(shape);
    return [[q, k, v], grad((a, b, c) => causalAttention(a, b, c, { scale: 1 / 8 }), [q, k, v])];
  },
  'AdamW update (768×3072 parameter)': () => {
    const [p, g, m] = [0, 1, 2].map(() => tf.randomNormal([emb, hidden]));
    const v = tf.randomUniform([emb, hidden], 0, 1e-3);
    const scalars = {
      decay: 0.99996,
      beta1: 0.9,
      beta2: 0.999,
      correction2Sqrt: 0.0447,
      eps: 1e-8,
      stepSize: 4e-3,
    };
    return [
      [p, g, m, v],
      () => {
        const next = adamwUpdate(p, g, m, v, scalars);
        return [next.param, next.m, next.v];
      },
    ];
  },
};

async function timeOnce(run) {
  const started = performance.now();
  const outputs = run();
  await Promise.all(outputs.map((t) => t.data()));
  const seconds = (performance.now() - started) / 1000;
  tf.dispose(outputs);
  return seconds;
}

const only = values.only?.split(',');
const results = [];
for (const [name, make] of Object.entries(cases)) {
  if (only && !only.some((word) => name.includes(word))) continue;
  const [inputs, run] = make();
  const best = { scratchgpt: Number.POSITIVE_INFINITY, tfjs: Number.POSITIVE_INFINITY };
  for (const set of ['scratchgpt', 'tfjs']) {
    useWebGPUKernels(set);
    await timeOnce(run); // compile, allocate
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const set of ['scratchgpt', 'tfjs']) {
      useWebGPUKernels(set);
      best[set] = Math.min(best[set], await timeOnce(run));
    }
  }
  tf.dispose(inputs);
  const result = {
    kernel: name,
    scratchgptSeconds: Number(best.scratchgpt.toFixed(4)),
    tfjsSeconds: Number(best.tfjs.toFixed(4)),
    speedup: Number((best.tfjs / best.scratchgpt).toFixed(2)),
  };
  console.error(JSON.stringify(result));
  results.push(result);
}
useWebGPUKernels('scratchgpt');
const adapter = choice.adapter ? `${choice.adapter.vendor} ${choice.adapter.description}`.trim() : 'unknown';
console.log(JSON.stringify({ adapter, reps, results }, null, 2));

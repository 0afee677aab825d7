#!/usr/bin/env node
/**
 * GFLOP/s of the matrix products of one GPT-2 small training step (batch × context tokens), forward and
 * backward, each as the model computes it (`matMul` from @scratchgpt/tensor, transposes as it passes
 * them), on each backend given, one after the other. Prints one JSON line per backend.
 *
 *   node apps/node-gpu/bench/products.mjs [--backends wasm,blas] [--tokens 256] [--repeat 3]
 *
 * Needs a build (`pnpm build`).
 */
import { parseArgs } from 'node:util';
import { initBackend, matMul, tf } from '@scratchgpt/tensor';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,blas' },
    tokens: { type: 'string', default: '256' },
    repeat: { type: 'string', default: '3' },
  },
});
const n = Number(values.tokens);
const [emb, hidden, vocab, heads, headDim] = [768, 3072, 50257, 12, 64];
// [name, a shape, b shape, transposeA, transposeB]: x·Wᵀ forward, dy·W and dyᵀ·x backward.
const linear = (name, inputs, outputs) => [
  [`${name} forward`, [n, inputs], [outputs, inputs], false, true],
  [`${name} dx`, [n, outputs], [outputs, inputs], false, false],
  [`${name} dW`, [n, outputs], [n, inputs], true, false],
];
const shapes = [
  ...linear('query/key/value/out (768→768)', emb, emb),
  ...linear('feed-forward up (768→3072)', emb, hidden),
  ...linear('feed-forward down (3072→768)', hidden, emb),
  ...linear('output head (768→50257)', emb, vocab),
  ['attention scores q·kᵀ', [heads, n, headDim], [heads, n, headDim], false, true],
  ['attention context w·v', [heads, n, n], [heads, n, headDim], false, false],
];
const flops = ([, a, b, transposeA, transposeB]) => {
  const batch = a.length === 3 ? a[0] : 1;
  const [m, k] = transposeA ? [a.at(-1), a.at(-2)] : [a.at(-2), a.at(-1)];
  const cols = transposeB ? b.at(-2) : b.at(-1);
  return 2 * batch * m * k * cols;
};

for (const backend of values.backends.split(',')) {
  const choice = await initBackend({ prefer: backend, loaders: { blas: () => import('koffi') } });
  const results = {};
  let totalFlops = 0;
  let totalSeconds = 0;
  for (const shape of shapes) {
    const [name, aShape, bShape, transposeA, transposeB] = shape;
    const a = tf.randomNormal(aShape);
    const b = tf.randomNormal(bShape);
    // wasm and blas compute when the op is called: the time of the call is the product's.
    const once = async () => {
      const started = performance.now();
      const product = matMul(a, b, transposeA, transposeB);
      await product.data();
      const seconds = (performance.now() - started) / 1000;
      product.dispose();
      return seconds;
    };
    await once();
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < Number(values.repeat); i++) best = Math.min(best, await once());
    tf.dispose([a, b]);
    results[name] = Number((flops(shape) / best / 1e9).toFixed(1));
    totalFlops += flops(shape);
    totalSeconds += best;
  }
  const details = choice.limits.details;
  console.log(
    JSON.stringify({
      backend: choice.backend,
      kernels: details.blasCoreType ?? 'wasm SIMD (XNNPACK)',
      threads: details.blasThreads ?? 1,
      gflopsPerSec: results,
      overallGflopsPerSec: Number((totalFlops / totalSeconds / 1e9).toFixed(1)),
    }),
  );
}

#!/usr/bin/env node
/**
 * Training throughput of `@genai-fi/nanogpt` (a TF.js GPT trainer with its own WebGPU kernels) on Dawn,
 * for webgpu-vs-peer.mjs: its GPT-2-style model (learned positions) at the given size, its trainer's
 * step (forward, loss, backward, its AdamW) on random token ids. Prints JSON.
 *
 *   node apps/node-gpu/bench/nanogpt-train.mjs [--vocab 50257] [--context 64] [--emb 128] [--heads 4]
 *     [--layers 2] [--batch-size 4] [--steps 3] [--dropout 0.1]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    vocab: { type: 'string', default: '50257' },
    context: { type: 'string', default: '64' },
    emb: { type: 'string', default: '128' },
    heads: { type: 'string', default: '4' },
    layers: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '4' },
    steps: { type: 'string', default: '3' },
    dropout: { type: 'string', default: '0.1' },
  },
});
const [vocab, context, batch, steps] = ['vocab', 'context', 'batch-size', 'steps'].map((k) =>
  Number(values[k]),
);

const dawn = await import('webgpu');
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });

const tf = await import('@tensorflow/tfjs-core');
// The package ships a browser build of tfjs-core that shares this copy's engine; telling it this is
// not Node keeps it from replacing the Node platform with one it cannot build.
tf.env().set('IS_NODE', false);
const nanogpt = await import('@genai-fi/nanogpt');
// Its trainer's step is not exported by name: load it from the package's build.
const require = createRequire(import.meta.url);
const dist = dirname(require.resolve('@genai-fi/nanogpt'));
const { default: BasicTrainer } = await import(join(dist, 'training', 'BasicTrainer.js'));
await nanogpt.TeachableLLM.selectBackend('webgpu');

const model = new nanogpt.models.NanoGPTV1({
  modelType: 'GenAI_NanoGPT_v1',
  vocabSize: vocab,
  blockSize: context,
  nLayer: Number(values.layers),
  nHead: Number(values.heads),
  nEmbed: Number(values.emb),
  mlpFactor: 4,
  useRope: false,
});
const trainer = new BasicTrainer(model, null, { learningRate: 4e-4, weightDecay: 0.1 });
trainer.setDropout(Number(values.dropout));

let seed = 12345;
const randomIds = () =>
  Int32Array.from({ length: batch * context }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % vocab;
  });
const state = { step: 0 };
const step = async () => {
  const xs = tf.tensor2d(randomIds(), [batch, context], 'int32');
  const ys = tf.tensor2d(randomIds(), [batch, context], 'int32');
  const loss = trainer.trainStep(state, { xs, ys });
  const value = (await loss.data())[0];
  tf.dispose([loss, xs, ys]);
  return value;
};

await step(); // warm-up: shaders compile, buffers are allocated
const tensorsBefore = tf.memory().numTensors;
const started = performance.now();
let loss = 0;
for (let i = 0; i < steps; i++) loss = await step();
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    peer: '@genai-fi/nanogpt',
    adapter: `${adapter.info.vendor} ${adapter.info.description}`.trim(),
    parameters: model.getNumParams(),
    trainTokensPerSec: (steps * batch * context) / seconds,
    secondsPerTrainStep: seconds / steps,
    loss,
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
  }),
);

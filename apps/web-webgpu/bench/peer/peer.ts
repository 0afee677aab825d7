/**
 * `@genai-fi/nanogpt` 1.3.0 training in the browser, for train-throughput.ts: its GPT-2-style model
 * (learned positions) at the size the URL gives, its trainer's step on random token ids, on WebGPU.
 * Writes JSON into [data-testid=result] when done: tokens/s between the end of the warm-up and the last
 * step, as the page's measure is taken.
 *
 *   ?trainer=URL&vocab=50257&context=64&emb=128&heads=4&layers=2&batch=4&steps=4&warmup=1&dropout=0.1
 *
 * `trainer` is the URL the server gives the package's training/BasicTrainer.js: the trainer's step is not
 * exported by name.
 */
import { models, TeachableLLM } from '@genai-fi/nanogpt';
import * as tf from '@tensorflow/tfjs-core';

/** The part of the package's (unexported) trainer used here. */
interface Trainer {
  setDropout(rate: number): void;
  trainStep(state: object, batch: { xs: tf.Tensor; ys: tf.Tensor }): tf.Scalar;
}
type TrainerClass = new (model: unknown, tokenizer: null, options: object) => Trainer;

const query = new URLSearchParams(location.search);
const number = (name: string, fallback: number) => Number(query.get(name) ?? fallback);
const [vocab, context, batch, steps, warmup] = [
  number('vocab', 50257),
  number('context', 64),
  number('batch', 4),
  number('steps', 4),
  number('warmup', 1),
];
const out = document.querySelector('[data-testid="result"]') as HTMLElement;

async function run(): Promise<void> {
  const { default: BasicTrainer } = (await import(/* @vite-ignore */ query.get('trainer') ?? '')) as {
    default: TrainerClass;
  };
  await TeachableLLM.selectBackend('webgpu');
  const model = new models.NanoGPTV1({
    modelType: 'GenAI_NanoGPT_v1',
    vocabSize: vocab,
    blockSize: context,
    nLayer: number('layers', 2),
    nHead: number('heads', 4),
    nEmbed: number('emb', 128),
    mlpFactor: 4,
    useRope: false,
  });
  const trainer = new BasicTrainer(model, null, { learningRate: 4e-4, weightDecay: 0.1 });
  trainer.setDropout(number('dropout', 0.1));
  let seed = 12345;
  const ids = () =>
    tf.tensor2d(
      Int32Array.from({ length: batch * context }, () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % vocab;
      }),
      [batch, context],
      'int32',
    );
  let startedAt = 0;
  let loss = 0;
  for (let step = 1; step <= steps; step++) {
    const xs = ids();
    const ys = ids();
    const value = trainer.trainStep({ step: 0 }, { xs, ys });
    loss = (await value.data())[0] as number;
    tf.dispose([value, xs, ys]);
    if (step === warmup) startedAt = performance.now();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  out.textContent = JSON.stringify({
    peer: '@genai-fi/nanogpt',
    parameters: model.getNumParams(),
    tokensPerSec: Number((((steps - warmup) * batch * context) / seconds).toFixed(1)),
    secondsPerStep: Number((seconds / (steps - warmup)).toFixed(3)),
    loss,
  });
}

run().catch((error: unknown) => {
  out.textContent = JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
});

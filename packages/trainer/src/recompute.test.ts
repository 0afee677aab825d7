/**
 * A GPT trained with its blocks recomputed (dropout on, accumulation, clipping, the fused head and
 * loss) takes the very steps of one that keeps its activations, and leaves no tensor behind.
 */
import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { Generator, initBackend, type RecomputeMode, tf } from '@scratchgpt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { trainModel } from './train.js';

afterAll(() => initBackend({ prefer: 'cpu' }));

const config = preset('gpt-nano', { vocabSize: 64, contextLength: 8, dropRate: 0.2 });
const corpus = Int32Array.from({ length: 200 }, (_, i) => (i * 11 + (i % 3)) % 64);

async function train(recompute: RecomputeMode) {
  const before = tf.memory().numTensors;
  const model = new GPTModel(config, { generator: new Generator(1), recompute });
  const train = createDataLoader(new GPTDataset(corpus, { maxLength: 8, stride: 8 }), {
    batchSize: 2,
    shuffle: true,
    seed: 3,
  });
  const losses: number[] = [];
  const recipe = { lr: 3e-3, gradClip: 1, gradAccum: 2, maxSteps: 4, epochs: 1 };
  for await (const event of trainModel({ model, train, generator: new Generator(2), ...recipe })) {
    if (event.event === 'step') losses.push(event.loss);
  }
  const weights = await Promise.all(model.parameters().map((parameter) => parameter.data()));
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return { losses, weights };
}

describe('trainModel with recomputed blocks', () => {
  it('follows the same losses to the same weights, bit for bit', async () => {
    await initBackend({ prefer: 'wasm' });
    const kept = await train('none');
    const recomputed = await train('blocks');
    expect(recomputed.losses).toHaveLength(4);
    expect(recomputed.losses).toEqual(kept.losses);
    expect(recomputed.weights).toEqual(kept.weights);
  }, 60_000);
});

/**
 * The memory check is only as good as its estimate: here a LoRA training step on wasm (the backend
 * with a ceiling) is measured by the tensor buffers it really holds, and `estimateMemory` must count
 * at least that, and not much more. GPT-2 medium's widths and vocabulary, two blocks, 128 tokens; in
 * float32 and under bf16 autocast on a bf16 base; keeping every block's activations and recomputing.
 */
import { estimateMemory, GPTModel, preset } from '@scratchgpt/gpt-model';
import { applyLoRA } from '@scratchgpt/lora';
import {
  autocast,
  buildInPrecision,
  Generator,
  initBackend,
  type RecomputeMode,
  type StoragePrecision,
  tf,
} from '@scratchgpt/tensor';
import { trackWasmTensorBytes } from '@scratchgpt/tensor/testing';
import { calcLossBatch, computeGradients } from '@scratchgpt/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
afterAll(() => initBackend({ prefer: 'cpu' }));

const tokens = 128;
const config = preset('gpt2-medium', { tieWeights: true, nLayers: 2, dropRate: 0 });

/** Bytes held at the peak of one step beyond the model: activations, the head's, the adapters' gradients. */
function measuredStep(precision: 'f32' | 'bf16', recompute: RecomputeMode) {
  const model = buildInPrecision(
    precision,
    () => new GPTModel(config, { generator: new Generator(1), recompute }),
  );
  applyLoRA(model, { rank: 16, alpha: 16, generator: new Generator(3) });
  model.train();
  const adapterParameters = model
    .namedParameters()
    .filter(([, p]) => p.trainable)
    .reduce((sum, [, p]) => sum + p.size, 0);
  const random = new Generator(2);
  const ids = () => Int32Array.from({ length: tokens }, () => random.randint(0, config.vocabSize));
  const batch = { batchSize: 1, length: tokens, inputs: ids(), targets: ids() };
  const live = trackWasmTensorBytes();
  try {
    const { loss, grads } = autocast(precision, () =>
      computeGradients(model, () => calcLossBatch(model, batch)),
    );
    tf.dispose([loss, ...grads.values()]);
    const peak = live.peak;
    // What the model made on the way (its causal masks) goes with it; nothing else may be left.
    model.dispose();
    return { peak, left: live.now, adapterParameters };
  } finally {
    live.stop();
    model.dispose();
  }
}

describe('estimateMemory against a measured LoRA step on wasm', () => {
  it.each([
    ['f32', 'none'],
    ['f32', 'blocks'],
    ['bf16', 'none'],
    ['bf16', 'blocks'],
  ] as Array<[StoragePrecision & ('f32' | 'bf16'), RecomputeMode]>)(
    'counts what a %s step holds with recompute %s, within a quarter',
    (precision, recompute) => {
      const step = measuredStep(precision, recompute);
      expect(step.left).toBe(0);
      const estimate = estimateMemory(config, {
        batchSize: 1,
        tokens,
        training: true,
        adapterParameters: step.adapterParameters,
        recompute,
        baseWeights: precision,
      });
      // The step holds activations and the adapters' gradients; the moments come with the update.
      const counted = estimate.activationBytes + step.adapterParameters * 4;
      expect(counted).toBeGreaterThanOrEqual(step.peak);
      expect(counted).toBeLessThan(1.25 * step.peak);
    },
  );
});

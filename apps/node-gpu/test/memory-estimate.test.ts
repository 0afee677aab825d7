/**
 * The memory check is only as good as its estimate: here a LoRA training step on wasm (the backend
 * with a ceiling) is measured by the tensor buffers it really holds, and the estimate must count at
 * least that, and not much more. Two layers, 128 tokens, in float32 and under bf16 autocast on a bf16
 * base, keeping every layer's activations and recomputing: a GPT with GPT-2 medium's widths and
 * vocabulary (`estimateMemory`), and an open-family model with Qwen3-0.6B's widths (grouped-query
 * attention, a gated feed-forward, a tied head) and GPT-2's vocabulary to keep its table small
 * (`openActivationBytes`).
 */
import { estimateMemory, GPTModel, preset } from '@scratchgpt/gpt-model';
import { applyLoRA } from '@scratchgpt/lora';
import { QWEN3_PRESETS, Qwen3Model, qwen3Decoder } from '@scratchgpt/open-models';
import {
  autocast,
  buildInPrecision,
  Generator,
  initBackend,
  type RecomputeMode,
  tf,
} from '@scratchgpt/tensor';
import { trackWasmTensorBytes } from '@scratchgpt/tensor/testing';
import { calcLossBatch, computeGradients, type LanguageModel } from '@scratchgpt/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openActivationBytes } from '../src/open-model-memory.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
afterAll(() => initBackend({ prefer: 'cpu' }));

type Precision = 'f32' | 'bf16';
const tokens = 128;
const gptConfig = preset('gpt2-medium', { tieWeights: true, nLayers: 2, dropRate: 0 });
const openConfig = { ...QWEN3_PRESETS['0.6B'], nLayers: 2, vocabSize: 50257 };

/**
 * Bytes held at the peak of one step beyond the model: activations, the head's, the gradients (the
 * adapters', or with `full` the whole model's, which is then built in float32 whatever `precision`
 * its products run in).
 */
function measuredStep(precision: Precision, build: () => LanguageModel, vocabSize: number, full = false) {
  const model = buildInPrecision(full ? 'f32' : precision, build);
  try {
    if (!full) applyLoRA(model, { rank: 16, alpha: 16, generator: new Generator(3) });
    model.train();
    const adapterParameters = model
      .namedParameters()
      .filter(([, p]) => p.trainable)
      .reduce((sum, [, p]) => sum + p.size, 0);
    const random = new Generator(2);
    const ids = () => Int32Array.from({ length: tokens }, () => random.randint(0, vocabSize));
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
    }
  } finally {
    model.dispose();
  }
}

/** The estimate counts the step's peak, and less than a quarter more. */
function expectCounted(counted: number, peak: number): void {
  expect(counted).toBeGreaterThanOrEqual(peak);
  expect(counted).toBeLessThan(1.25 * peak);
}

describe('estimateMemory against a measured LoRA step on wasm', () => {
  it.each([
    ['f32', 'none'],
    ['f32', 'blocks'],
    ['bf16', 'none'],
    ['bf16', 'blocks'],
  ] as Array<[Precision, RecomputeMode]>)(
    'counts what a %s step holds with recompute %s, within a quarter',
    (precision, recompute) => {
      const build = () => new GPTModel(gptConfig, { generator: new Generator(1), recompute });
      const step = measuredStep(precision, build, gptConfig.vocabSize);
      expect(step.left).toBe(0);
      const estimate = estimateMemory(gptConfig, {
        batchSize: 1,
        tokens,
        training: true,
        adapterParameters: step.adapterParameters,
        recompute,
        baseWeights: precision,
      });
      // The step holds activations and the adapters' gradients; the moments come with the update.
      expectCounted(estimate.activationBytes + step.adapterParameters * 4, step.peak);
    },
  );
});

describe('a full fine-tuning step under autocast', () => {
  it('holds no more than the float32 step: no rounded copy of a weight, activations kept in 16 bits', () => {
    const build = () => new GPTModel(gptConfig, { generator: new Generator(1) });
    const f32 = measuredStep('f32', build, gptConfig.vocabSize, true);
    const bf16 = measuredStep('bf16', build, gptConfig.vocabSize, true);
    expect(bf16.left).toBe(0);
    // Keeping a float32 copy of each rounded weight, as composed roundings do, put it 1.57× above.
    expect(bf16.peak).toBeLessThanOrEqual(1.02 * f32.peak);
    const estimate = estimateMemory(gptConfig, { batchSize: 1, tokens, training: true });
    // The step holds activations and the gradients; the moments come with the update.
    expect(estimate.activationBytes + estimate.weightBytes).toBeGreaterThanOrEqual(bf16.peak);
  });
});

describe('the open families’ estimate against a measured LoRA step on wasm', () => {
  it.each([
    ['f32', 'none'],
    ['bf16', 'blocks'],
  ] as Array<[Precision, RecomputeMode]>)(
    'counts what a %s step holds with recompute %s, within a quarter',
    (precision, recompute) => {
      const build = () => new Qwen3Model(openConfig, { generator: new Generator(1), recompute });
      const step = measuredStep(precision, build, openConfig.vocabSize);
      expect(step.left).toBe(0);
      const counted = openActivationBytes(qwen3Decoder(openConfig), {
        batchSize: 1,
        tokens,
        adapterParameters: step.adapterParameters,
        recompute,
        baseWeights: precision,
      });
      expectCounted(counted + step.adapterParameters * 4, step.peak);
    },
  );
});

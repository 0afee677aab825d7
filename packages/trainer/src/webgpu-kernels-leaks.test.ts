/**
 * A GPT trained 100 steps on WebGPU with scratchgpt's fused kernels (attention with dropout masks,
 * LayerNorm, GELU, the fused head + loss, AdamW): the tensor count stays flat and the loss falls.
 */
import { GPTModel } from '@scratchgpt/gpt-model';
import { Generator, initBackend, manualSeed, probeWebGPU, tf, webgpuKernelSet } from '@scratchgpt/tensor';
import { requiredBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { computeGradients } from './gradients.js';
import { languageModelLoss } from './loss.js';

const adapter = await probeWebGPU();
const runs = !('reason' in adapter) || requiredBackends().includes('webgpu');

describe.skipIf(!runs)('training on WebGPU with scratchgpt kernels', () => {
  it('keeps tensors flat over 100 steps', { timeout: 600_000 }, async () => {
    await initBackend({ prefer: 'webgpu' });
    expect(webgpuKernelSet()).toBe('scratchgpt');
    manualSeed(5);
    const model = new GPTModel({
      vocabSize: 64,
      contextLength: 16,
      embDim: 32,
      nHeads: 2,
      nLayers: 1,
      dropRate: 0.1,
      qkvBias: false,
    });
    model.train();
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0.1 });
    const random = new Generator(9);
    // One fixed batch, so the loss must fall as the model memorises it.
    const ids = Int32Array.from({ length: 2 * 17 }, () => random.randint(0, 64));
    const inputs = tf.tensor2d(
      ids.filter((_, i) => i % 17 !== 16),
      [2, 16],
      'int32',
    );
    const targets = tf.tensor2d(
      ids.filter((_, i) => i % 17 !== 0),
      [2, 16],
      'int32',
    );
    const counts: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 100; step++) {
      const { loss, grads } = computeGradients(model, () => languageModelLoss(model, inputs, targets));
      optimizer.step(grads);
      losses.push((await loss.data())[0] as number);
      tf.dispose([loss, ...grads.values()]);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[1]]));
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 2);
    optimizer.dispose();
    model.dispose();
    tf.dispose([inputs, targets]);
  });
});

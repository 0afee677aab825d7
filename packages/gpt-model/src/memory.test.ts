import { initBackend } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { assertFitsMemory, estimateMemory, MemoryBudgetError } from './memory.js';

describe('estimateMemory', () => {
  it('counts float32 weights, and gradients and moments when training', () => {
    const config = preset('gpt2-small');
    const run = estimateMemory(config, { batchSize: 1, tokens: 1, training: false });
    expect(run.weightBytes).toBe(163_009_536 * 4);
    expect(run.optimizerBytes).toBe(0);
    const train = estimateMemory(config, { batchSize: 1, tokens: 256, training: true });
    expect(train.optimizerBytes).toBe(3 * train.weightBytes);
    const host = estimateMemory(config, { batchSize: 1, tokens: 256, training: true, hostMoments: true });
    expect(host.optimizerBytes).toBe(train.weightBytes);
    // Attention scores grow with the square of the tokens.
    const long = estimateMemory(config, { batchSize: 1, tokens: 1024, training: true });
    expect(long.activationBytes).toBeGreaterThan(8 * train.activationBytes);
  });

  it('counts LoRA updates as trained parameters beside a frozen model', () => {
    const config = preset('gpt2-small');
    const use = { batchSize: 1, tokens: 256, training: true };
    const lora = estimateMemory(config, { ...use, adapterParameters: 1_000_000 });
    expect(lora.weightBytes).toBe((163_009_536 + 1_000_000) * 4);
    expect(lora.optimizerBytes).toBe(3 * 1_000_000 * 4);
    const wide = estimateMemory(config, { ...use, adapterParameters: 300_000_000 });
    expect(wide.totalBytes).toBeGreaterThan(estimateMemory(config, use).totalBytes);
  });

  it("keeps one block's activations and every block's input when recomputing the blocks", () => {
    const config = preset('gpt2-medium');
    const use = { batchSize: 1, tokens: 256, training: true };
    const kept = estimateMemory(config, use);
    const recomputed = estimateMemory(config, { ...use, recompute: 'blocks' });
    const inputs = 24 * 256 * 1024 * 4;
    expect(recomputed.activationBytes - inputs).toBeCloseTo(kept.activationBytes / 24, 3);
    expect(recomputed.weightBytes + recomputed.optimizerBytes).toBe(kept.weightBytes + kept.optimizerBytes);
    // Generation keeps no activations for a backward pass: recomputing changes nothing.
    const run = { batchSize: 1, tokens: 256, training: false };
    expect(estimateMemory(config, { ...run, recompute: 'blocks' })).toEqual(estimateMemory(config, run));
  });
});

describe('assertFitsMemory on wasm (a 4 GiB heap)', () => {
  it('refuses gpt2-xl before allocating, saying what would fit', async () => {
    await initBackend({ prefer: 'wasm' });
    const use = { batchSize: 1, tokens: 1024, training: false };
    expect(() => assertFitsMemory(preset('gpt2-xl'), use, 'gpt2-xl')).toThrow(MemoryBudgetError);
    expect(() => assertFitsMemory(preset('gpt2-xl'), use, 'gpt2-xl')).toThrow(
      /^gpt2-xl needs about 6\.\d GiB of tensors to run \(1638M parameters, batch 1 × 1024\); this backend holds 4\.0 GiB: use a backend without that limit \(node-gpu, or webgpu on a GPU\), a smaller batch or context, or a smaller model \(gpt2-large fits\)$/,
    );
    expect(assertFitsMemory(preset('gpt2-small'), use).totalBytes).toBeLessThan(4 * 2 ** 30);
  });

  it('says when recomputing the blocks would make training fit', async () => {
    await initBackend({ prefer: 'wasm' });
    const use = { batchSize: 1, tokens: 1024, training: true, hostMoments: true };
    const refusal = (() => {
      try {
        assertFitsMemory(preset('gpt2-medium'), use);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(MemoryBudgetError);
    expect((refusal as MemoryBudgetError).fitsWithRecompute).toBe(true);
    expect(assertFitsMemory(preset('gpt2-medium'), { ...use, recompute: 'blocks' }).totalBytes).toBeLessThan(
      4 * 2 ** 30,
    );
    // Where even one block's activations do not fit, it says nothing of recomputing.
    const long = preset('gpt2-xl', { contextLength: 4096 });
    expect(() => assertFitsMemory(long, { ...use, tokens: 4096 })).toThrow(
      expect.objectContaining({ fitsWithRecompute: false }),
    );
  });

  it('refuses a config with a million layers, and passes anything where there is no ceiling', async () => {
    await initBackend({ prefer: 'wasm' });
    const huge = preset('gpt-nano', { nLayers: 1_000_000 });
    const use = { batchSize: 1, tokens: 8, training: true };
    expect(() => assertFitsMemory(huge, use)).toThrow(
      /^This model needs about \d+\.\d GiB of tensors to train/,
    );
    await initBackend({ prefer: 'cpu' });
    expect(assertFitsMemory(huge, use).totalBytes).toBeGreaterThan(100 * 2 ** 30);
  });
});

import { initBackend } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { preset } from './config.js';
import {
  assertFitsMemory,
  estimateMemory,
  halfStoredValues,
  MemoryBudgetError,
  type MemoryUse,
} from './memory.js';

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
    // Attention scores grow with the square of the tokens: each doubling adds more than twice as much.
    const at = (tokens: number) =>
      estimateMemory(config, { batchSize: 1, tokens, training: true }).activationBytes;
    expect(at(1024) - at(512)).toBeGreaterThan(2.5 * (at(512) - at(256)));
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

  it('counts a frozen base stored in 16 bits under LoRA at 2 bytes a value, its norms and positions at 4', () => {
    // GPT-2 as published: the head tied to the token embedding.
    const config = preset('gpt2-small', { tieWeights: true });
    // 50,257 × 768 token embedding and 12 blocks of 12 · 768² Linear weights.
    expect(halfStoredValues(config)).toBe(38_597_376 + 84_934_656);
    const use = { batchSize: 1, tokens: 256, training: true, adapterParameters: 1_000_000 };
    expect(estimateMemory(config, use).weightBytes).toBe((124_412_160 + 1_000_000) * 4);
    // 123,532,032 values in 2 bytes; the other 880,128 (biases, norms, positions) and the updates in 4.
    for (const baseWeights of ['bf16', 'f16'] as const)
      expect(estimateMemory(config, { ...use, baseWeights }).weightBytes).toBe(
        123_532_032 * 2 + (880_128 + 1_000_000) * 4,
      );
    // Gradients and moments are the updates' alone, as before.
    expect(estimateMemory(config, { ...use, baseWeights: 'bf16' }).optimizerBytes).toBe(3 * 1_000_000 * 4);
    // An untied head is a second 50,257 × 768 table in 16 bits.
    expect(halfStoredValues(preset('gpt2-small'))).toBe(2 * 38_597_376 + 84_934_656);
    // Without LoRA the model trains, so its weights stay float32 whatever is asked.
    const { adapterParameters: _, ...full } = use;
    expect(estimateMemory(config, { ...full, baseWeights: 'bf16' })).toEqual(estimateMemory(config, full));
    // A model that does not train is frozen too: built or loaded in 16 bits, it counts 2 bytes a value.
    const run = { batchSize: 1, tokens: 256, training: false };
    expect(estimateMemory(config, { ...run, baseWeights: 'bf16' }).weightBytes).toBe(
      123_532_032 * 2 + 880_128 * 4,
    );
  });

  it("keeps one block's activations and every block's input when recomputing the blocks", () => {
    const config = preset('gpt2-medium');
    const use = { batchSize: 1, tokens: 256, training: true };
    const kept = estimateMemory(config, use);
    const recomputed = estimateMemory(config, { ...use, recompute: 'blocks' });
    const inputs = 24 * 256 * 1024 * 4;
    // A block keeps 25 vectors of 1024 per token and 3.2 matrices of 256 × 256 per head (16 heads).
    const block = (25 * 256 * 1024 + 3.2 * 16 * 256 * 256) * 4;
    // The head takes its gradients in the forward pass: beside every block's activations, or beside
    // the inputs alone, before any block runs again.
    expect(kept.activationBytes - (recomputed.activationBytes - inputs)).toBeCloseTo(24 * block, 0);
    expect(recomputed.weightBytes + recomputed.optimizerBytes).toBe(kept.weightBytes + kept.optimizerBytes);
    // Generation keeps no activations for a backward pass: recomputing changes nothing.
    const run = { batchSize: 1, tokens: 256, training: false };
    expect(estimateMemory(config, { ...run, recompute: 'blocks' })).toEqual(estimateMemory(config, run));
  });

  it('counts what the head holds while the loss is taken: chunks of logits, against the table or its 16-bit shards', () => {
    const config = preset('gpt2-medium', { tieWeights: true });
    const use = {
      batchSize: 2,
      tokens: 256,
      training: true,
      adapterParameters: 1_000_000,
      recompute: 'blocks',
    } as const;
    const float = estimateMemory(config, use);
    const half = estimateMemory(config, { ...use, baseWeights: 'bf16' });
    const rowsOfLogits = (rows: number) => rows * 50_257 * 4;
    const table = 50_257 * 1024 * 4;
    // A float32 head: 4.5 chunks of 166 rows (about 32 MB of logits each), a transposed table and a
    // 32 MiB shard copied.
    const floatHead = 4.5 * rowsOfLogits(166) + table + 32 * 2 ** 20;
    // A 16-bit head: 3.2 chunks, a 32 MiB shard widened and transposed, the input's gradient twice.
    const halfHead = 3.2 * rowsOfLogits(166) + 2 * 32 * 2 ** 20 + 2 * 512 * 1024 * 4;
    expect(half.activationBytes - float.activationBytes).toBeCloseTo(halfHead - floatHead, 0);
    // A head that trains also holds its table's gradient.
    const { adapterParameters: _, ...full } = use;
    const trained = estimateMemory(config, full);
    expect(trained.activationBytes - float.activationBytes).toBe(table);
    // A classifier's head (the logits of its 2 classes, their softmax and gradient, for each row) is
    // smaller than the block that runs again: that block's activations are the peak.
    const classes = estimateMemory(config, { ...use, baseWeights: 'bf16', headOutputs: 2 });
    const block = (25 * 512 * 1024 + 3.2 * 16 * 2 * 256 * 256) * 4;
    expect(half.activationBytes - classes.activationBytes).toBeCloseTo(halfHead - block, 0);
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
    // Its weights in bf16 fit, and the refusal says so; in bf16 the check passes.
    const refusal = (() => {
      try {
        assertFitsMemory(preset('gpt2-xl'), use);
      } catch (error) {
        return error as MemoryBudgetError;
      }
    })();
    expect(refusal?.fitsWith).toEqual(['half-base']);
    expect(assertFitsMemory(preset('gpt2-xl'), { ...use, baseWeights: 'bf16' }).totalBytes).toBeLessThan(
      4 * 2 ** 30,
    );
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

  it('says which of recomputing and a 16-bit base makes a LoRA run fit: either, one, or both together', async () => {
    await initBackend({ prefer: 'wasm' });
    const lora = { batchSize: 1, tokens: 256, training: true, adapterParameters: 1_000_000 };
    const fitsWith = (name: 'gpt2-large' | 'gpt2-xl', use: MemoryUse) => {
      try {
        assertFitsMemory(preset(name, { tieWeights: true }), use);
      } catch (error) {
        return (error as MemoryBudgetError).fitsWith;
      }
      return 'fits';
    };
    // gpt2-large: 4.8 GiB; 3.0 recomputing, 3.4 with a bf16 base.
    expect(fitsWith('gpt2-large', lora)).toEqual(['recompute', 'half-base']);
    // gpt2-xl: 9.0 GiB; 6.0 recomputing, 6.1 with a bf16 base, 3.1 with both.
    expect(fitsWith('gpt2-xl', lora)).toEqual(['half-base+recompute']);
    expect(fitsWith('gpt2-xl', { ...lora, recompute: 'blocks', baseWeights: 'bf16' })).toBe('fits');
    // 16 tokens: the weights are what does not fit, so only their storage helps.
    expect(fitsWith('gpt2-xl', { ...lora, tokens: 16 })).toEqual(['half-base']);
    // Without LoRA the base trains: a 16-bit base is never offered.
    const { adapterParameters: _, ...full } = lora;
    expect(fitsWith('gpt2-large', { ...full, tokens: 128, hostMoments: true })).toEqual([]);
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

import { initBackend } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { countParameters } from './counts.js';
import {
  checkModelFits,
  currentMemoryBudget,
  estimateMemory,
  gpt2SizesThatFit,
  ModelTooLargeError,
  pretrainedGpt2,
} from './memory-fit.js';

const wasmHeap = { bytes: 4 * 2 ** 30, description: "the wasm backend's 4 GiB heap" };

describe('memory fit', () => {
  it('counts GPT-2 small as published: 124,439,808 parameters, 4 bytes each', () => {
    const need = estimateMemory(pretrainedGpt2('gpt2-small'), 'generate');
    expect(need.parameters).toBe(124_439_808);
    expect(need.weightsBytes).toBe(124_439_808 * 4);
    // KV cache over 1,024 tokens, the prompt's logits, one layer's scores and activations.
    const kv = 2 * 12 * 1024 * 768 * 4;
    const logits = 1024 * 50257 * 4;
    const layer = (12 * 1024 * 1024 + 8 * 1024 * 768) * 4;
    expect(need.workingBytes).toBe(kv + logits + layer);
  });

  it('refuses gpt2-xl on the wasm heap, naming the need and the largest GPT-2 that fits', () => {
    const attempt = () =>
      checkModelFits(pretrainedGpt2('gpt2-xl'), 'generate', wasmHeap, { name: 'gpt2-xl' });
    expect(attempt).toThrow(ModelTooLargeError);
    expect(attempt).toThrow(
      "gpt2-xl (1,557,611,200 parameters) needs about 7.2 GB to generate, more than the wasm backend's 4 GiB heap: use a backend without that ceiling or a smaller model (gpt2-large fits)",
    );
    expect(checkModelFits(pretrainedGpt2('gpt2-small'), 'generate', wasmHeap).totalBytes).toBeLessThan(
      2 ** 30,
    );
  });

  it('asks training for room per token: the batch and context decide what fits', () => {
    expect(gpt2SizesThatFit('generate', wasmHeap)).toEqual(['gpt2-small', 'gpt2-medium', 'gpt2-large']);
    expect(gpt2SizesThatFit('train', wasmHeap, { batchSize: 1, contextLength: 256 })).toEqual(['gpt2-small']);
    expect(gpt2SizesThatFit('train', wasmHeap, { batchSize: 2, contextLength: 256 })).toEqual([]);
    expect(() =>
      checkModelFits(pretrainedGpt2('gpt2-small'), 'train', wasmHeap, {
        batchSize: 2,
        contextLength: 256,
        name: 'gpt2',
      }),
    ).toThrow(
      "gpt2 (124,439,808 parameters) needs about 4.8 GB to train, more than the wasm backend's 4 GiB heap: use a backend without that ceiling, a smaller batch or context, or a smaller model",
    );
    // Without a known ceiling (cpu, WebGPU devices) every model passes.
    expect(gpt2SizesThatFit('train', null)).toHaveLength(4);
    const small = preset('gpt-nano');
    expect(checkModelFits(small, 'train', null).parameters).toBe(countParameters(small).total);
  });

  it("reads the ceiling from the backend: wasm's heap, none on cpu", async () => {
    await initBackend({ prefer: 'wasm' });
    expect(currentMemoryBudget()).toEqual(wasmHeap);
    await initBackend({ prefer: 'cpu' });
    expect(currentMemoryBudget()).toBeNull();
  });
});

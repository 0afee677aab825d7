import { trainingHeadBytes } from '@scratchgpt/gpt-model';
import { QWEN3_PRESETS, qwen3Decoder } from '@scratchgpt/open-models';
import { initBackend } from '@scratchgpt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkOpenTrainingFits,
  openHalfStoredValues,
  openLoRAParameters,
  openTrainingBytes,
} from './open-model-memory.js';

afterAll(() => initBackend({ prefer: 'cpu' }));

const qwen = qwen3Decoder(QWEN3_PRESETS['0.6B']);
const lora = { adapterParameters: openLoRAParameters(qwen, 8) };

describe('openTrainingBytes with recomputed layers', () => {
  it("keeps every layer's input and one layer's activations", () => {
    const use = { batchSize: 4, tokens: 512, ...lora };
    const kept = openTrainingBytes(qwen, use);
    const recomputed = openTrainingBytes(qwen, { ...use, recompute: 'blocks' });
    const weights = openTrainingBytes(qwen, { ...use, tokens: 0 });
    const inputs = 28 * 4 * 512 * 1024 * 4;
    const head = trainingHeadBytes({
      vocabSize: 151_936,
      embDim: 1024,
      rows: 4 * 512,
      half: false,
      trains: false,
    });
    const layer = (kept - weights - head) / 28;
    // The head takes its gradients in the forward pass, beside the inputs alone, before any layer runs
    // again: the peak is the larger of the two.
    expect(recomputed - weights - inputs).toBeCloseTo(Math.max(layer, head), 0);
  });
});

describe('openTrainingBytes with a frozen base in 16 bits', () => {
  it('counts its projections and embedding at 2 bytes a value, its norms and the updates at 4', () => {
    // 151,936 × 1,024 tied embedding; 28 layers of q, o (1,024 × 2,048), k, v (1,024 × 1,024) and
    // gate, up, down (1,024 × 3,072).
    expect(openHalfStoredValues(qwen)).toBe(155_582_464 + 28 * (6_291_456 + 9_437_184));
    expect(lora.adapterParameters).toBe(5_046_272);
    const noActivations = { batchSize: 1, tokens: 0, ...lora };
    // 596,049,920 weights and the updates in float32; the updates' gradients and two moments.
    const f32 = (596_049_920 + 5_046_272) * 4 + 3 * 5_046_272 * 4;
    expect(openTrainingBytes(qwen, noActivations)).toBe(f32);
    expect(f32).toBe(2_464_940_032);
    for (const baseWeights of ['bf16', 'f16'] as const)
      expect(openTrainingBytes(qwen, { ...noActivations, baseWeights })).toBe(
        595_984_384 * 2 + (65_536 + 5_046_272) * 4 + 3 * 5_046_272 * 4,
      );
    // Without LoRA every weight trains in float32.
    expect(openTrainingBytes(qwen, { batchSize: 1, tokens: 0, baseWeights: 'bf16' })).toBe(
      openTrainingBytes(qwen, { batchSize: 1, tokens: 0 }),
    );
  });
});

describe('checkOpenTrainingFits on wasm (a 4 GiB heap)', () => {
  it('suggests --recompute blocks where it makes the run fit, and not where it does not', async () => {
    await initBackend({ prefer: 'wasm' });
    const use = { batchSize: 4, tokens: 512, ...lora };
    expect(() => checkOpenTrainingFits(qwen, use, 'qwen')).toThrow(/; --recompute blocks makes it fit$/);
    expect(() => checkOpenTrainingFits(qwen, { ...use, recompute: 'blocks' }, 'qwen')).not.toThrow();
    expect(() => checkOpenTrainingFits(qwen, { ...use, batchSize: 64 }, 'qwen')).toThrow(
      /a smaller --batch-size or --context$/,
    );
  });

  it('suggests --precision bf16 where a 16-bit base makes a LoRA run fit, alone or with recomputing', async () => {
    await initBackend({ prefer: 'wasm' });
    const halfBase = " makes it fit (under --lora-rank it stores the frozen model's weights in 16 bits)";
    // 4.7 GiB: 3.0 recomputing, 3.1 with a bf16 base.
    expect(() => checkOpenTrainingFits(qwen, { batchSize: 1, tokens: 256, ...lora }, 'qwen')).toThrow(
      `; --recompute blocks or --precision bf16${halfBase}`,
    );
    // 12 × 512: 4.9 GiB recomputing, 3.7 with both.
    const both = { batchSize: 12, tokens: 512, ...lora };
    expect(() => checkOpenTrainingFits(qwen, both, 'qwen')).toThrow(
      `; --precision bf16 with --recompute blocks${halfBase}`,
    );
    expect(() =>
      checkOpenTrainingFits(qwen, { ...both, recompute: 'blocks', baseWeights: 'bf16' }, 'qwen'),
    ).not.toThrow();
  });
});

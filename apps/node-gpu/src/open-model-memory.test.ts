import { QWEN3_PRESETS, qwen3Decoder } from '@scratchgpt/open-models';
import { initBackend } from '@scratchgpt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOpenTrainingFits, openLoRAParameters, openTrainingBytes } from './open-model-memory.js';

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
    expect(recomputed - weights - inputs).toBeCloseTo((kept - weights) / 28, 0);
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
});

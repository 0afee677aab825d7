import { initBackend } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from './test-support/fixtures.js';
import { runTinyTraining, tinyTraining } from './test-support/tiny-training.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('ten training steps against PyTorch (embedding → tanh → Linear, V 16, batch 2×5, 3 targets ignored)', () => {
  it('matches the loss and gradient norm of every step, and the final weights, within 1e-6', async () => {
    const run = await runTinyTraining();
    // Clipping is active in the first seven steps (norm > 0.5) and idle in the last three.
    expect(run.norms.map((norm) => norm > 0.5)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(maxAbsDiff(run.losses, tinyTraining.values('losses'))).toBeLessThan(1e-6);
    expect(maxAbsDiff(run.norms, tinyTraining.values('norms'))).toBeLessThan(1e-6);
    for (const [name, weights] of run.weights) {
      expect(maxAbsDiff(weights, tinyTraining.values(`final.${name}`)), name).toBeLessThan(1e-6);
    }
  });
});

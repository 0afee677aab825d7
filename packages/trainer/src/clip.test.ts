import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipGradNorm } from './clip.js';
import { loadFixture, maxAbsDiff } from './test-support/fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** The gradients of the GPT fixture's first AdamW step, and PyTorch's clipping of them to norm 1. */
const step0 = loadFixture(new URL('../fixtures/adamw-gpt/grads_step0.safetensors', import.meta.url));
const fixture = loadFixture(new URL('../fixtures/clip/clip.safetensors', import.meta.url));
const names = step0.names();
const maxNorm = fixture.setting('max_norm') as number;

function fixtureGrads(): Map<string, tf.Tensor> {
  return new Map(names.map((name) => [name, step0.tensor(name)]));
}

async function globalNorm(grads: Map<string, tf.Tensor>): Promise<number> {
  let squares = 0;
  for (const grad of grads.values()) for (const g of await grad.data()) squares += g * g;
  return Math.sqrt(squares);
}

describe('clipGradNorm against torch.nn.utils.clip_grad_norm_ (fixture)', () => {
  it('returns the global norm before clipping and the scaled gradients', async () => {
    const grads = fixtureGrads();
    const { grads: clipped, norm } = clipGradNorm(grads, maxNorm);
    const [value] = await norm.data();
    expect(fixture.names()).toEqual(['norm', ...names]);
    expect(Math.abs((value as number) - fixture.number('norm'))).toBeLessThan(1e-6 * (value as number));
    for (const name of names) {
      expect(maxAbsDiff(await clipped.get(name)!.data(), fixture.values(name)), name).toBeLessThan(1e-7);
    }
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });

  it('brings the global norm down to the limit', async () => {
    const grads = fixtureGrads();
    const before = await globalNorm(grads);
    expect(before).toBeGreaterThan(2 * maxNorm); // 2.13: clipping has work to do
    const { grads: clipped, norm } = clipGradNorm(grads, maxNorm);
    expect(await globalNorm(clipped)).toBeCloseTo(1.0, 5);
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });

  it('leaves gradients below the limit unchanged', async () => {
    // PyTorch scales by min(1, 100 / norm) = 1 here, which leaves every bit as it was (the fixture
    // generator checks that): the step-0 gradients are the expected output.
    const grads = fixtureGrads();
    const { grads: clipped, norm } = clipGradNorm(Object.fromEntries(grads), 100);
    expect(Math.abs((await norm.data())[0]! - fixture.number('norm'))).toBeLessThan(1e-5);
    for (const name of names) {
      expect(await clipped.get(name)!.data()).toEqual(step0.values(name));
    }
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });
});

describe('clipGradNorm bookkeeping', () => {
  it('creates only the returned tensors, and leaves the inputs alive', () => {
    const grads = fixtureGrads();
    const before = tf.memory().numTensors;
    const { grads: clipped, norm } = clipGradNorm(grads, maxNorm);
    expect(tf.memory().numTensors).toBe(before + names.length + 1);
    tf.dispose([...clipped.values(), norm]);
    expect([...grads.values()].every((grad) => !grad.isDisposed)).toBe(true);
    tf.dispose([...grads.values()]);
  });

  it('gives a zero norm for no gradients and rejects a non-positive limit', async () => {
    const { grads, norm } = clipGradNorm(new Map(), 1);
    expect(grads.size).toBe(0);
    expect((await norm.data())[0]).toBe(0);
    norm.dispose();
    expect(() => clipGradNorm(new Map(), 0)).toThrow('maxNorm must be a number > 0, got 0');
  });
});

import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFixture, maxAbsDiff } from './__fixtures__/fixtures.js';
import { clipGradNorm } from './clip.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const fixture = loadFixture('clip');
const names = ['a', 'b', 'c'];

function fixtureGrads(): Map<string, tf.Tensor> {
  return new Map(names.map((name) => [name, fixture.tensor(`grad.${name}`)]));
}

async function globalNorm(grads: Map<string, tf.Tensor>): Promise<number> {
  let squares = 0;
  for (const grad of grads.values()) for (const g of await grad.data()) squares += g * g;
  return Math.sqrt(squares);
}

describe('clipGradNorm against torch.nn.utils.clip_grad_norm_ (fixture)', () => {
  it('returns the global norm before clipping and the scaled gradients', async () => {
    const grads = fixtureGrads();
    const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
    const [value] = await norm.data();
    expect(Math.abs((value as number) - fixture.number('clipped.norm'))).toBeLessThan(
      1e-6 * (value as number),
    );
    for (const name of names) {
      expect(maxAbsDiff(await clipped.get(name)!.data(), fixture.values(`clipped.${name}`))).toBeLessThan(
        1e-7,
      );
    }
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });

  it('brings the global norm down to the limit', async () => {
    const grads = fixtureGrads();
    const before = await globalNorm(grads);
    expect(before).toBeGreaterThan(4);
    const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
    expect(await globalNorm(clipped)).toBeCloseTo(1.0, 5);
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });

  it('leaves gradients below the limit unchanged', async () => {
    const grads = fixtureGrads();
    const { grads: clipped, norm } = clipGradNorm(Object.fromEntries(grads), 100);
    expect(Math.abs((await norm.data())[0]! - fixture.number('unclipped.norm'))).toBeLessThan(1e-5);
    for (const name of names) {
      expect(await clipped.get(name)!.data()).toEqual(fixture.values(`unclipped.${name}`));
    }
    tf.dispose([...grads.values(), ...clipped.values(), norm]);
  });
});

describe('clipGradNorm bookkeeping', () => {
  it('creates only the returned tensors, and leaves the inputs alive', () => {
    const grads = fixtureGrads();
    const before = tf.memory().numTensors;
    const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
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

import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LossScaler } from './loss-scaler.js';

const backends = await findTestBackends();
beforeAll(() => initBackend({ prefer: 'cpu' }));
afterAll(() => initBackend({ prefer: 'cpu' }));

// A model's worth of gradients in one check: WebGPU binds few buffers per kernel, so the check must
// not read them all in one.
describe.each(backends)('unscaling many gradients on $backend', ({ backend, available }) => {
  it.skipIf(!available)('finds the one infinity among 40 tensors', async () => {
    await initBackend({ prefer: backend });
    const grads = new Map(
      Array.from({ length: 40 }, (_, i) => [
        `p${i}`,
        tf.fill([300], i === 33 ? Number.POSITIVE_INFINITY : 2),
      ]),
    );
    const scaler = new LossScaler({ initScale: 2 });
    const bad = await scaler.unscale(grads);
    expect(bad.finite).toBe(false);
    grads.get('p33')!.dispose();
    grads.set('p33', tf.fill([300], 4));
    const good = await scaler.unscale(grads);
    expect(good.finite).toBe(true);
    expect(await good.grads.get('p33')!.data()).toEqual(new Float32Array(300).fill(2));
    tf.dispose([...grads.values(), ...bad.grads.values(), ...good.grads.values()]);
  });
});

describe('LossScaler (PyTorch GradScaler’s rules)', () => {
  it('starts at 2^16 and doubles after growthInterval finite steps in a row', () => {
    const scaler = new LossScaler({ growthInterval: 3 });
    expect(scaler.scale).toBe(65536);
    scaler.update(true);
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 65536, growthTracker: 2 });
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 131072, growthTracker: 0 });
    expect(new LossScaler().growthInterval).toBe(2000);
  });

  it('halves on a step with non-finite gradients and starts counting again', () => {
    const scaler = new LossScaler({ growthInterval: 3 });
    scaler.update(true);
    scaler.update(true);
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 32768, growthTracker: 0 });
    scaler.update(true);
    scaler.update(true);
    expect(scaler.scale).toBe(32768);
    scaler.update(true);
    expect(scaler.scale).toBe(65536);
  });

  it('divides the gradients by the scale and says whether all are finite', async () => {
    const scaler = new LossScaler({ initScale: 4 });
    const finite = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([4, -8, 1])],
      ['b', tf.tensor2d([[0, 2]])],
    ]);
    const result = await scaler.unscale(finite);
    expect(result.finite).toBe(true);
    expect([...result.grads.keys()]).toEqual(['a', 'b']);
    expect(await result.grads.get('a')!.data()).toEqual(new Float32Array([1, -2, 0.25]));
    for (const bad of [Number.POSITIVE_INFINITY, Number.NaN, Number.NEGATIVE_INFINITY]) {
      const grads = { a: tf.tensor1d([1, 2]), b: tf.tensor1d([3, bad]) };
      const unscaled = await scaler.unscale(grads);
      expect(unscaled.finite).toBe(false);
      tf.dispose([...Object.values(grads), ...unscaled.grads.values()]);
    }
    tf.dispose([...finite.values(), ...result.grads.values()]);
  });

  it('leaves no tensors behind besides the unscaled gradients', async () => {
    const scaler = new LossScaler();
    const grads = new Map([['w', tf.ones([3, 3])]]);
    const before = tf.memory().numTensors;
    const result = await scaler.unscale(grads);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([...grads.values(), ...result.grads.values()]);
  });

  it('round-trips its state and refuses a damaged one', () => {
    const scaler = new LossScaler({ growthInterval: 5 });
    scaler.update(false);
    scaler.update(true);
    const copy = new LossScaler({ growthInterval: 5 }).setState(scaler.state());
    expect(copy.state()).toEqual({ scale: 32768, growthTracker: 1 });
    for (const _ of [1, 2, 3, 4]) {
      scaler.update(true);
      copy.update(true);
    }
    expect(copy.state()).toEqual(scaler.state());
    expect(copy.scale).toBe(65536);
    expect(() => copy.setState({ scale: 0, growthTracker: 0 })).toThrow(/finite number > 0/);
    expect(() => copy.setState({ scale: 2, growthTracker: 1.5 })).toThrow(/integer ≥ 0/);
    expect(() => new LossScaler({ backoffFactor: 1 })).toThrow(/backoffFactor/);
  });
});

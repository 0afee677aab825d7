import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { GradientAccumulator } from './gradient-accumulator.js';

const backends = (await findTestBackends()).filter((b) => b.backend !== 'webgpu');

describe.each(backends)('GradientAccumulator with host storage on $backend', ({ backend, available }) => {
  it.skipIf(!available)('averages exactly as the device accumulator, holding no tensors', async () => {
    await initBackend({ prefer: backend });
    const g = new Generator(3);
    const device = new GradientAccumulator();
    const host = new GradientAccumulator({ storage: 'host' });
    for (const weight of [3, 1, 7]) {
      const grads = new Map([
        ['w', tf.tensor(g.normalArray(40 * 7), [40, 7])],
        ['b', tf.tensor(g.normalArray(7), [7])],
      ]);
      const before = tf.memory().numTensors;
      host.add(grads, weight);
      expect(tf.memory().numTensors).toBe(before);
      device.add(grads, weight);
      tf.dispose([...grads.values()]);
    }
    expect(host.count).toBe(3);
    expect(host.totalWeight).toBe(11);
    const a = device.average();
    const b = host.average();
    for (const name of ['w', 'b']) expect(await b.get(name)!.data()).toEqual(await a.get(name)!.data());
    expect(() => host.add(new Map([['w', tf.zeros([2])]]))).toThrow(
      "Gradient 'w' has shape [2] but earlier micro-batches gave [40, 7]",
    );
    host.dispose();
    device.dispose();
    expect(() => host.average()).toThrow(/before any add/);
  });
});

import { buildInPrecision, initBackend, Linear, type StoragePrecision, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFrozenBase, describeBase, storeFrozenBase } from './half-base.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

function layers(largest: number): [Linear, Linear] {
  const small = new Linear(3, 2);
  const large = new Linear(3, 2);
  large.weight.assign(
    tf.tensor2d([
      [1, 2, largest],
      [0.5, -0.25, 3],
    ]),
  );
  return [small, large];
}

describe('storeFrozenBase', () => {
  it('stores every part in the 16-bit precision asked for', async () => {
    const parts = layers(60000);
    const storage = await storeFrozenBase(parts, 'f16');
    expect(storage).toEqual({ precision: 'f16' });
    expect(describeBase(storage)).toBe('base weights in f16');
    expect(parts.map((part) => part.weightPrecision)).toEqual(['f16', 'f16']);
    for (const part of parts) part.dispose();
  });

  it('keeps a base f16 cannot hold in float32, untouched, and says why; bf16 holds it', async () => {
    const parts = layers(-70000);
    const before = await parts[0].weight.data();
    const storage = await storeFrozenBase(parts, 'f16');
    expect(describeBase(storage)).toBe(
      "base weights kept in f32: a weight of magnitude 70000.0 is beyond f16's largest value, 65504 (bf16 holds it)",
    );
    expect(parts.map((part) => part.weightPrecision)).toEqual(['f32', 'f32']);
    expect(await parts[0].weight.data()).toEqual(before);
    expect(await storeFrozenBase(parts, 'bf16')).toEqual({ precision: 'bf16' });
    for (const part of parts) part.dispose();
  });

  it('leaves an f32 run alone', async () => {
    const parts = layers(1);
    expect(await storeFrozenBase(parts, 'f32')).toEqual({ precision: 'f32' });
    expect(parts[1].weightPrecision).toBe('f32');
    for (const part of parts) part.dispose();
  });
});

describe('buildFrozenBase', () => {
  /** A layer built in `precision`, then given a weight of `largest` (as a load would give it). */
  const loaded = (largest: number) => (precision: StoragePrecision) => {
    const layer = buildInPrecision(precision, () => new Linear(3, 2));
    try {
      layer.loadStateDict(
        new Map([['weight', { shape: [2, 3], data: new Float32Array([1, 2, largest, 0.5, -0.25, 3]) }]]),
        {
          strict: false,
        },
      );
    } catch (error) {
      layer.dispose();
      throw error;
    }
    return layer;
  };

  it('builds the base straight in the 16-bit precision asked for', async () => {
    for (const precision of ['f16', 'bf16'] as const) {
      const { base, storage } = await buildFrozenBase(precision, loaded(60000));
      expect(storage).toEqual({ precision });
      expect(base.weightPrecision).toBe(precision);
      base.dispose();
    }
  });

  it('builds again in float32 when f16 cannot hold a weight, leaving nothing of the first try, and says why', async () => {
    const before = tf.memory().numTensors;
    const { base, storage } = await buildFrozenBase('f16', loaded(-70000));
    expect(describeBase(storage)).toBe(
      "base weights kept in f32: value -70000 at index 2 is beyond f16's largest finite value (65504): weights stored in f16 must be finite (bf16 has float32’s range)",
    );
    expect(base.weightPrecision).toBe('f32');
    expect(Array.from(await base.weight.data())).toEqual([1, 2, -70000, 0.5, -0.25, 3]);
    base.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes on any other failure', async () => {
    await expect(
      buildFrozenBase('f16', () => {
        throw new RangeError('no such file');
      }),
    ).rejects.toThrow(/^no such file$/);
  });
});

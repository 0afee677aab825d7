/**
 * Test helpers: reading the PyTorch fixtures under ../../fixtures/ (written by
 * tools/reference/make_fixtures.py; tools/reference/README.md describes each file), and comparisons.
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors, type SafetensorsTensor, tf } from '@scratchgpt/tensor';

export interface Fixture {
  has(name: string): boolean;
  names(): string[];
  values(name: string): Float32Array | Int32Array;
  tensor(name: string): tf.Tensor;
  number(name: string): number;
  /** A `__metadata__` entry: the fixtures store each setting as a JSON string. */
  setting(name: string): unknown;
}

/** A safetensors fixture, e.g. `loadFixture(new URL('../fixtures/clip/clip.safetensors', import.meta.url))`. */
export function loadFixture(url: URL): Fixture {
  const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const { tensors, metadata } = parseSafetensors(readFileSync(url), file);
  const get = (key: string): SafetensorsTensor => {
    const entry = tensors.get(key);
    if (entry == null) throw new Error(`fixture ${file} has no tensor '${key}'`);
    return entry;
  };
  return {
    has: (key) => tensors.has(key),
    names: () => [...tensors.keys()],
    values: (key) => get(key).data,
    tensor: (key) => {
      const { data, shape } = get(key);
      return tf.tensor(data, shape, data instanceof Int32Array ? 'int32' : 'float32');
    },
    number: (key) => get(key).data[0] as number,
    setting: (key) => {
      const text = metadata[key];
      if (text === undefined) throw new Error(`fixture ${file} has no setting '${key}'`);
      return JSON.parse(text);
    },
  };
}

/** The largest |a − b|. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  checkLengths(actual, expected);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return worst;
}

/** The largest |a − b| / |b| over the entries where |b| ≥ `floor` (tiny references make ratios noise). */
export function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  checkLengths(actual, expected);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const reference = Math.abs(expected[i] as number);
    if (reference < floor) continue;
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / reference);
  }
  return worst;
}

function checkLengths(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  if (actual.length !== expected.length) {
    throw new Error(`comparing ${actual.length} values with ${expected.length}`);
  }
}

/** The largest |a − b| relative to the largest |b|: a tensor-wide relative error, for tensors whose
 * entries may cancel to near zero (Adam's first moment) where entry-wise ratios are meaningless. */
export function maxScaledDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  return maxAbsDiff(actual, expected) / scale;
}

/**
 * Reading the PyTorch fixtures under ../../fixtures/ (written by tools/reference/make_fixtures.py;
 * tools/reference/README.md describes each file).
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from '@scratchgpt/tensor';

export interface Fixture {
  names(): string[];
  ints(name: string): Int32Array;
  floats(name: string): Float32Array;
  shape(name: string): number[];
  /** A `__metadata__` entry: each setting is stored as a JSON string. */
  setting<T>(name: string): T;
}

export function loadFixture(name: string, folder = 'chapter7'): Fixture {
  const url = new URL(`../../fixtures/${folder}/${name}`, import.meta.url);
  const { tensors, metadata } = parseSafetensors(readFileSync(url), name);
  const get = (key: string) => {
    const entry = tensors.get(key);
    if (entry == null) throw new Error(`fixture ${name} has no tensor '${key}'`);
    return entry;
  };
  return {
    names: () => [...tensors.keys()],
    ints: (key) => get(key).data as Int32Array,
    floats: (key) => get(key).data as Float32Array,
    shape: (key) => [...get(key).shape],
    setting: <T>(key: string) => {
      const text = metadata[key];
      if (text === undefined) throw new Error(`fixture ${name} has no setting '${key}'`);
      return JSON.parse(text) as T;
    },
  };
}

/** [name, shape, center, scale]: a parameter whose values are center + scale · u_k. */
export type FormulaParameter = [string, number[], number, number];

/**
 * The fixture model's initial weights as a book-layout safetensors file: parameter by parameter, in
 * order, u_k = ((k · 2654435761) mod 2³²) / 2³² − ½ over one running k, computed in float64 and
 * rounded to float32 exactly as tools/reference/fixtures_instruct.py does.
 */
export function formulaWeights(parameters: readonly FormulaParameter[]): Uint8Array {
  const tensors: Record<string, TensorToWrite> = {};
  let k = 0;
  for (const [name, shape, center, scale] of parameters) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++, k++) {
      const u = (Math.imul(k, 2654435761) >>> 0) / 2 ** 32 - 0.5;
      data[i] = center + scale * u;
    }
    tensors[name] = { shape, data };
  }
  return serializeSafetensors(tensors);
}

/**
 * Storing a model's weights in 16 bits, one call for the whole model: every module that can hold its
 * weight in a `HalfTensor` (`Linear`, the embedding tables) converts it; the rest (norms, positions:
 * small) stay float32. The converted weights are frozen: they leave the trainable parameters, while
 * adapters attached on top (LoRA) still train in float32.
 */
import type { StoragePrecision } from '../half/precision.js';
import type { Module } from './module.js';

/** A module that can store its weight in another precision. */
export interface WeightStorage {
  readonly weightPrecision: StoragePrecision;
  storeWeight(precision: StoragePrecision): Promise<void>;
}

export function hasWeightStorage(module: unknown): module is WeightStorage {
  return (
    typeof (module as Partial<WeightStorage>)?.storeWeight === 'function' &&
    typeof (module as Partial<WeightStorage>).weightPrecision === 'string'
  );
}

/** Stores every weight of `model` that can be in `precision`; returns how many modules changed. */
export async function storeWeights(model: Module, precision: StoragePrecision): Promise<number> {
  let changed = 0;
  for (const [, module] of model.namedModules()) {
    if (!hasWeightStorage(module) || module.weightPrecision === precision) continue;
    await module.storeWeight(precision);
    changed++;
  }
  return changed;
}

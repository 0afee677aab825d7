/**
 * Folding LoRA updates into the weights: W ← W + scale · (A·B)ᵀ, then the updates are removed. The
 * model then computes what it computed with them, as plain `Linear`s at no extra cost, and saves as an
 * ordinary checkpoint.
 */
import { type Module, tf } from '@scratchgpt/tensor';
import { isLinearWithLoRA } from './apply.js';

/** Merges every LoRA update of `model` into its layer and disposes it; returns the merged layers' names. */
export function mergeLoRA(model: Module): string[] {
  const merged: string[] = [];
  for (const [name, module] of model.namedModules()) {
    if (!isLinearWithLoRA(module)) continue;
    const update = module.adapter;
    tf.tidy(() => module.weight.assign(tf.add(module.weight, update.weightDelta())));
    module.detachAdapter();
    update.dispose();
    merged.push(name);
  }
  return merged;
}

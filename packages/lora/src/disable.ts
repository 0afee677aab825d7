/**
 * The base model under its LoRA updates, without a second copy of its weights: for as long as a
 * function runs, every update is switched off and each layer gives x Wᵀ + b alone. Preference tuning
 * (DPO) measures the policy against this frozen base.
 */
import type { Module, tf } from '@scratchgpt/tensor';
import { loraLayers } from './apply.js';

/** Runs `run` with every LoRA update of `model` switched off, and switches them back on after it. */
export function withAdaptersDisabled<T>(model: Module, run: () => T): T {
  const layers = [...loraLayers(model).values()];
  if (layers.length === 0) {
    throw new Error('withAdaptersDisabled: the model carries no LoRA updates, so it is its own base');
  }
  const switchedOff = layers.filter((layer) => layer.enabled);
  for (const layer of switchedOff) layer.enabled = false;
  try {
    const result = run();
    if (result instanceof Promise) {
      throw new TypeError(
        'withAdaptersDisabled: the function must be synchronous (the updates would stay off)',
      );
    }
    return result;
  } finally {
    for (const layer of switchedOff) layer.enabled = true;
  }
}

/** A model's forward pass, as a model of its own. */
export interface ForwardModel {
  forward(ids: tf.Tensor): tf.Tensor;
}

/**
 * The base model of `model` as a model of its own: its forward pass runs with every LoRA update off.
 * It shares the weights, so it follows them (frozen under LoRA) and costs no memory.
 */
export function withoutAdapters(model: Module & ForwardModel): ForwardModel {
  if (loraLayers(model).size === 0) {
    throw new Error('withoutAdapters: the model carries no LoRA updates, so it is its own base');
  }
  return { forward: (ids) => withAdaptersDisabled(model, () => model.forward(ids)) };
}

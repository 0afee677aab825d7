/**
 * LoRA on a whole model, as appendix E does it: freeze every parameter, then give every `Linear` (or a
 * chosen few) a low-rank update. The update is attached to each layer in place (`Linear.attachAdapter`),
 * so the layer becomes the book's `LinearWithLoRA` without its parent being rebuilt: its output is
 * x Wᵀ + b + scale · x·A·B, and its parameters read `….W_query.lora.A`.
 */
import { Linear, type Module } from '@scratchgpt/tensor';
import { LoRALayer, type LoRAOptions } from './lora-layer.js';

/** The child name a layer's update is registered under. */
export const LORA_CHILD = 'lora';

/** A `Linear` carrying a LoRA update. */
export type LinearWithLoRA = Linear & { readonly adapter: LoRALayer };

export function isLinearWithLoRA(module: Module): module is LinearWithLoRA {
  return module instanceof Linear && module.adapter instanceof LoRALayer;
}

export interface ApplyLoRAOptions extends LoRAOptions {
  /** Which layers get an update, by their dotted name (default: every `Linear`, the book's choice). */
  include?: (name: string, layer: Linear) => boolean;
}

/**
 * Freezes every parameter of `model`, then attaches a trainable LoRA update to each `Linear` that
 * `include` accepts. Returns the updates by layer name, in the model's order.
 */
export function applyLoRA(model: Module, options: ApplyLoRAOptions): Map<string, LoRALayer> {
  const { include, ...settings } = options;
  const targets = chosenLayers(model, include);
  if (targets.length === 0) throw new RangeError('applyLoRA: no Linear layer of the model was chosen');
  // Before any update is allocated: an absurd rank would take gigabytes first and fail after.
  const limit = rankLimit(targets);
  if (settings.rank > limit.rank) {
    throw new RangeError(
      `LoRA rank ${settings.rank} is above what this model takes: at most ${limit.rank} (${limit.reason})`,
    );
  }
  const taken = targets.find(([, layer]) => layer.adapter != null);
  if (taken) throw new Error(`applyLoRA: '${taken[0]}' already carries an adapter`);
  model.setTrainable(false);
  const layers = new Map<string, LoRALayer>();
  for (const [name, layer] of targets) {
    const update = new LoRALayer(layer.inFeatures, layer.outFeatures, settings);
    layer.attachAdapter(LORA_CHILD, update);
    layers.set(name, update);
  }
  return layers;
}

/**
 * The largest rank `applyLoRA` gives the chosen layers of `model`. Past min(in, out) an update gains
 * nothing, but the book gives its 768 → 2 class head rank 16; so the bound is each layer's larger side,
 * which keeps an update at most twice its layer's size.
 */
export function maxLoRARank(model: Module, include?: ApplyLoRAOptions['include']): number {
  return rankLimit(chosenLayers(model, include)).rank;
}

/** Every `Linear` of the model by its dotted name. */
export function linearLayers(model: Module): Map<string, Linear> {
  return new Map(
    model.namedModules().filter((entry): entry is [string, Linear] => entry[1] instanceof Linear),
  );
}

function chosenLayers(model: Module, include: ApplyLoRAOptions['include']): Array<[string, Linear]> {
  return [...linearLayers(model)].filter(([name, layer]) => include == null || include(name, layer));
}

function rankLimit(targets: Array<[string, Linear]>): { rank: number; reason: string } {
  let limit = { rank: Number.POSITIVE_INFINITY, reason: 'no layer' };
  for (const [name, layer] of targets) {
    const rank = Math.max(layer.inFeatures, layer.outFeatures);
    if (rank < limit.rank) {
      limit = {
        rank,
        reason: `the larger side of '${name}', ${layer.inFeatures} → ${layer.outFeatures}`,
      };
    }
  }
  return limit;
}

/** The LoRA updates a model carries, by layer name. */
export function loraLayers(model: Module): Map<string, LoRALayer> {
  const layers = new Map<string, LoRALayer>();
  for (const [name, module] of model.namedModules()) {
    if (isLinearWithLoRA(module)) layers.set(name, module.adapter);
  }
  return layers;
}

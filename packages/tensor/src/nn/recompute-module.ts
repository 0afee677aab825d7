import { type RecomputeMode, recompute } from '../ops/recompute.js';
import type { tf } from '../tf.js';
import { dropoutGenerators } from './dropout.js';
import type { Module } from './module.js';

/**
 * `forward(x)` of one part of a model (a transformer block), its activations recomputed in the
 * backward pass instead of kept: the gradient reaches `x` and every trainable parameter of `module`
 * (its weights, LoRA adapters attached to it), and its dropout layers draw the same masks twice.
 */
export function recomputeModule(
  module: Module,
  forward: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
): tf.Tensor {
  return recompute(forward, [x], {
    variables: module.parameters().filter((parameter) => parameter.trainable),
    generators: dropoutGenerators(module),
  });
}

/** Checks a recompute mode from outside (a flag, a message), naming the ones there are. */
export function parseRecomputeMode(value: string): RecomputeMode {
  if (value === 'none' || value === 'blocks') return value;
  throw new RangeError(`Unknown recompute mode '${value}': use none or blocks`);
}

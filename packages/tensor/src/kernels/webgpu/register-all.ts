/**
 * Our WebGPU kernels in TF.js's kernel registry: replacements for TF.js kernels (`BatchMatMul`,
 * `UnsortedSegmentSum`) and new fused kernels the ops of this package look up by name.
 * `useWebGPUKernels('tfjs')` puts TF.js's own kernels back (and removes the fused ones, so the ops
 * compose TF.js primitives): the baseline the benchmarks compare against.
 */
import type { tf } from '../../tf.js';
import { type KernelPatch, registerPatch, replaceKernel, unregisterIfPresent } from '../register.js';
import { adamwConfig } from './adamw.js';
import { causalAttentionConfig } from './causal-attention.js';
import { causalAttentionGradConfig } from './causal-attention-grad.js';
import { geluConfig } from './gelu.js';
import { geluGradConfig } from './gelu-grad.js';
import { matMulHalfConfig, narrowHalfConfig, widenHalfConfig } from './half.js';
import { layerNormConfig } from './layer-norm.js';
import { layerNormGradConfig } from './layer-norm-grad.js';
import { batchMatMulConfig } from './mat-mul.js';
import { roundToPrecisionConfig } from './round-to-precision.js';
import { softmaxCrossEntropyConfig } from './softmax-cross-entropy.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

export type WebGPUKernelSet = 'scratchgpt' | 'tfjs';

export const webgpuKernelConfigs: readonly KernelPatch[] = [
  unsortedSegmentSumConfig,
  batchMatMulConfig,
  geluConfig,
  geluGradConfig,
  layerNormConfig,
  layerNormGradConfig,
  softmaxCrossEntropyConfig,
  adamwConfig,
  causalAttentionConfig,
  causalAttentionGradConfig,
  widenHalfConfig,
  narrowHalfConfig,
  matMulHalfConfig,
  roundToPrecisionConfig,
];

/**
 * Kernels of the list that the 'tfjs' set keeps too: TF.js's `UnsortedSegmentSum` transposes the whole
 * embedding table twice, seconds on a software adapter; TF.js has nothing that reads or writes 16-bit tensors.
 */
const inEverySet = new Set<string>([
  unsortedSegmentSumConfig.kernelName,
  widenHalfConfig.kernelName,
  narrowHalfConfig.kernelName,
  matMulHalfConfig.kernelName,
]);

/** TF.js's kernel functions that our wrappers replace, to put back for the 'tfjs' set. */
const originals = new Map<string, tf.KernelFunc>();
let active: WebGPUKernelSet = 'tfjs';

/** The kernel set in use on the WebGPU backend. */
export function webgpuKernelSet(): WebGPUKernelSet {
  return active;
}

/** Switches between our kernels and TF.js's stock ones; call after the WebGPU backend is imported. */
export function useWebGPUKernels(set: WebGPUKernelSet): void {
  if (set === active) return;
  for (const config of webgpuKernelConfigs) {
    if (inEverySet.has(config.kernelName)) continue;
    if ('wrap' in config) {
      replaceKernel(config.backendName, config.kernelName, (current) => {
        if (!originals.has(config.kernelName)) originals.set(config.kernelName, current);
        const original = originals.get(config.kernelName) as tf.KernelFunc;
        return set === 'scratchgpt' ? config.wrap(original) : original;
      });
    } else if (set === 'scratchgpt') {
      registerPatch(config);
    } else {
      unregisterIfPresent(config.backendName, config.kernelName);
    }
  }
  active = set;
}

let registered = false;

/**
 * Registers the list: the kernels of `set` (default ours), and once those that every set has. Call
 * after the WebGPU backend is imported.
 */
export function registerAllWebGPUKernels(set: WebGPUKernelSet = 'scratchgpt'): void {
  useWebGPUKernels(set);
  if (registered) return;
  registered = true;
  for (const config of webgpuKernelConfigs) if (inEverySet.has(config.kernelName)) registerPatch(config);
}

/** The fused kernels (new names, no TF.js counterpart) registered for the WebGPU backend. */
import type { tf } from '../../tf.js';
import { fusedKernelNames as names } from '../fused-kernel-names.js';
import { causalAttentionGradKernel, causalAttentionKernel } from './causal-attention.js';
import { adamwKernel, geluGradKernel, geluKernel } from './elementwise.js';
import { layerNormGradKernel, layerNormKernel } from './layer-norm.js';
import { softmaxCrossEntropyKernel } from './softmax-cross-entropy.js';

export const fusedKernels: Omit<tf.KernelConfig, 'backendName'>[] = [
  { kernelName: names.gelu, kernelFunc: geluKernel as tf.KernelFunc },
  { kernelName: names.geluGrad, kernelFunc: geluGradKernel as tf.KernelFunc },
  { kernelName: names.layerNorm, kernelFunc: layerNormKernel as tf.KernelFunc },
  { kernelName: names.layerNormGrad, kernelFunc: layerNormGradKernel as tf.KernelFunc },
  { kernelName: names.softmaxCrossEntropy, kernelFunc: softmaxCrossEntropyKernel as tf.KernelFunc },
  { kernelName: names.adamw, kernelFunc: adamwKernel as tf.KernelFunc },
  { kernelName: names.causalAttention, kernelFunc: causalAttentionKernel as tf.KernelFunc },
  { kernelName: names.causalAttentionGrad, kernelFunc: causalAttentionGradKernel as tf.KernelFunc },
];

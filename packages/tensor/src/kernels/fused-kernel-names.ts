/**
 * Names of the fused kernels this package's ops look up in TF.js's registry. A backend that registers
 * one gets the fused path; elsewhere the op composes TF.js primitives.
 */
export const fusedKernelNames = {
  gelu: 'ScratchGPTGelu',
  geluGrad: 'ScratchGPTGeluGrad',
  layerNorm: 'ScratchGPTLayerNorm',
  layerNormGrad: 'ScratchGPTLayerNormGrad',
  softmaxCrossEntropy: 'ScratchGPTSoftmaxCrossEntropy',
  adamw: 'ScratchGPTAdamW',
  causalAttention: 'ScratchGPTCausalAttention',
  causalAttentionGrad: 'ScratchGPTCausalAttentionGrad',
  widenHalf: 'ScratchGPTWidenHalf',
  narrowHalf: 'ScratchGPTNarrowHalf',
  matMulHalf: 'ScratchGPTMatMulHalf',
  roundToPrecision: 'ScratchGPTRoundToPrecision',
} as const;

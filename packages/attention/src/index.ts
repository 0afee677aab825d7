export { CausalAttention, type CausalAttentionOptions } from './causal-attention.js';
export {
  type CachedKeysValues,
  KVCache,
  type KVCacheOptions,
  LayerKVCache,
  type LayerKVCacheOptions,
} from './kv-cache.js';
export { CausalMask, causalMask } from './mask.js';
export {
  type AttentionCallOptions,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type PositionRotation,
} from './multi-head-attention.js';
export { MultiHeadAttentionWrapper, type MultiHeadAttentionWrapperOptions } from './multi-head-wrapper.js';
export { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';
export { SelfAttentionV1 } from './self-attention-v1.js';
export { SelfAttentionV2 } from './self-attention-v2.js';
export {
  attentionScores,
  contextVector,
  naiveSoftmax,
  normalizeBySum,
  type SimplifiedAttention,
  simplifiedSelfAttention,
} from './simplified.js';

export { attentionMask } from './blocks/attention-mask.js';
export { checkConfigFields } from './blocks/config-fields.js';
export { countDecoderParameters, countHalfStorableValues, decoderWeightBytes } from './blocks/counts.js';
export { DecoderBlock } from './blocks/decoder-block.js';
export {
  type BaseDecoderSettings,
  baseDecoder,
  type DecoderConfig,
  type DecoderSizes,
  type LayerType,
  SIZE_FIELDS,
  validateDecoderConfig,
} from './blocks/decoder-config.js';
export {
  type DecoderForwardOptions,
  DecoderModel,
  type DecoderModelOptions,
} from './blocks/decoder-model.js';
export { type GateActivation, GatedFeedForward } from './blocks/gated-feed-forward.js';
export {
  GroupedQueryAttention,
  type GroupedQueryAttentionOptions,
} from './blocks/grouped-query-attention.js';
export { HuggingFaceFields } from './blocks/hf-config.js';
export { RMSNorm } from './blocks/rms-norm.js';
export { loadWeights } from './blocks/weights.js';
export {
  bookConfigOf,
  bookFamilyOf,
  bookName,
  fromBookLayout,
  huggingFaceConfigOfBook,
  huggingFaceName,
  type LayoutTensor,
  toBookLayout,
} from './checkpoint/book-layout.js';
export { familyOf, type OpenFamily, SUPPORTED_FAMILIES } from './checkpoint/families.js';
export {
  assertOpenModelFits,
  CONFIG_FILE,
  loadOpenModelCheckpoint,
  type OpenModelCheckpoint,
  openModelFromWeights,
  SINGLE_WEIGHTS_FILE,
} from './checkpoint/load-open-model.js';
export { type CheckpointReader, checkpointInMemory, checkpointOfBlobs } from './checkpoint/reader.js';
export {
  type SerializedOpenModel,
  serializeOpenModelCheckpoint,
  streamOpenModelCheckpoint,
} from './checkpoint/save-open-model.js';
export { INDEX_FILE, parseShardIndex, type ShardIndex } from './checkpoint/shard-index.js';
export {
  GEMMA3_PRESETS,
  type Gemma3Config,
  gemma3ConfigFromHuggingFace,
  gemma3Decoder,
  gemma3LayerTypes,
} from './gemma3/config.js';
export { countGemma3Parameters, Gemma3Model } from './gemma3/model.js';
export {
  LLAMA3_PRESETS,
  type Llama3Config,
  llama3ConfigFromHuggingFace,
  llama3Decoder,
} from './llama3/config.js';
export { countLlama3Parameters, Llama3Model } from './llama3/model.js';
export { QWEN3_PRESETS, type Qwen3Config, qwen3ConfigFromHuggingFace, qwen3Decoder } from './qwen3/config.js';
export { countQwen3Parameters, Qwen3Model } from './qwen3/model.js';

export { type ConfigFormat, configToJson, parseConfigJson } from './checkpoint/config-json.js';
export { CheckpointError } from './checkpoint/errors.js';
export { CONFIG_FILE, WEIGHTS_FILE } from './checkpoint/file-names.js';
export type { HostTensor } from './checkpoint/host-tensor.js';
export { bookToHf, detectLayout, type HostState, hfToBook, type Layout } from './checkpoint/layouts.js';
export {
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  loadModelFromRanges,
  loadModelFromSafetensors,
} from './checkpoint/load.js';
export {
  type CheckpointOptions,
  type SerializedCheckpoint,
  serializeCheckpoint,
  streamCheckpoint,
} from './checkpoint/save.js';
export {
  ConfigError,
  type GPTConfig,
  isPresetName,
  type PositionEmbeddingKind,
  type PresetName,
  preset,
  presets,
  validateConfig,
} from './config.js';
export { countParameters, type ParameterCount, parameterMemoryMB } from './counts.js';
export {
  argmax,
  chooseToken,
  type SamplingOptions,
  sampleIndex,
  softmaxWithTemperature,
  topK,
  topKFilter,
  topPFilter,
} from './decoding.js';
export { FeedForward } from './feed-forward.js';
export { GELU } from './gelu.js';
export {
  type GenerateOptions,
  type GenerationCache,
  type GenerativeModel,
  generate,
  generateStream,
} from './generate.js';
export { type ForwardOptions, type ForwardWithAttention, GPTModel, type ModelOptions } from './gpt-model.js';
export { LayerNorm } from './layer-norm.js';
export {
  assertFitsMemory,
  estimateMemory,
  fittingRemedies,
  halfStoredValues,
  MemoryBudgetError,
  type MemoryEstimate,
  type MemoryRemedy,
  type MemoryUse,
  type RemedyUse,
  type TrainingHead,
  trainingHeadBytes,
} from './memory.js';
export { type BlockOutput, TransformerBlock } from './transformer-block.js';

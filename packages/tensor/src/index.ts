export type { DataType, Rank, Tensor, TensorLike, Variable } from '@tensorflow/tfjs-core';
export { BindingLimitError, checkBinding, tensorBytes } from './backend/binding-guard.js';

export {
  BackendUnavailableError,
  currentBackend,
  initBackend,
  maxBindingBytes,
  preferredShardBytes,
  probeWebGPU,
} from './backend/init-backend.js';
export { memoryBudgetBytes } from './backend/memory-budget.js';
export type {
  AdapterInfo,
  BackendChoice,
  BackendName,
  BackendPreference,
  DeviceLimits,
  InitBackendOptions,
  SkippedBackend,
  WasmPaths,
  WebGPUOptions,
} from './backend/types.js';
export {
  emptyHalfTensor,
  gatherHalf,
  type HalfPrecision,
  HalfRangeError,
  HalfTensor,
  halfTensor,
  isHalfPrecision,
  type MatMulHalfOptions,
  matMulHalf,
  narrowsOnDevice,
  narrowToHalf,
  roundedToHalf,
  type StoragePrecision,
  storagePrecisions,
  toHalf,
  widenHalf,
} from './half/index.js';
export { jsonPreview, parseStrictJson, StrictJsonError, type StrictJsonOptions } from './json/strict-json.js';
export { type AdamWOutputs, adamwOnArrays } from './kernels/adamw-simd.js';
export { deviceFeatures as webgpuDeviceFeatures, type KernelPrecision } from './kernels/webgpu/features.js';
export { useWebGPUKernels, type WebGPUKernelSet, webgpuKernelSet } from './kernels/webgpu/register-all.js';
export { buildInPrecision, buildPrecision } from './nn/build-precision.js';
export { Dropout, dropoutGenerator, dropoutGenerators, setDropoutGenerator } from './nn/dropout.js';
export { Linear, type LinearAdapter, type LinearOptions } from './nn/linear.js';
export {
  assertShape,
  type HostTensor,
  isHostTensor,
  type LoadStateDictOptions,
  Module,
  type StateDict,
  StateDictError,
  type StateEntries,
} from './nn/module.js';
export { ModuleList } from './nn/module-list.js';
export { parseRecomputeMode, recomputeModule } from './nn/recompute-module.js';
export { hasWeightStorage, storeWeights, type WeightStorage } from './nn/store-weights.js';
export { NoInitGenerator } from './no-init.js';
export { type AdamWScalars, type AdamWUpdate, adamwUpdate } from './ops/adamw-update.js';
export { addBroadcast } from './ops/add.js';
export {
  type AutocastPrecision,
  autocast,
  autocastOperand,
  autocastPrecision,
  autocastPrecisions,
} from './ops/autocast.js';
export {
  type CausalAttentionOptions,
  causalAttention,
  fusedAttentionAvailable,
} from './ops/causal-attention.js';
export { gelu } from './ops/gelu.js';
export { type ValueAndGradients, valueAndGradients } from './ops/gradients.js';
export { heapView } from './ops/heap-view.js';
export { layerNorm } from './ops/layer-norm.js';
export { mulConstant, reshapeView } from './ops/lean.js';
export { matMul, productsTakeTransposes } from './ops/mat-mul.js';
export {
  type RecomputeMode,
  type RecomputeOptions,
  recompute,
  recomputeModes,
} from './ops/recompute.js';
export { type RoundingFormat, roundToPrecision } from './ops/round-precision.js';
export {
  IGNORE_INDEX,
  type RowCrossEntropy,
  type SoftmaxCrossEntropyOptions,
  softmaxCrossEntropy,
} from './ops/softmax-cross-entropy.js';
export {
  emptyTensor,
  tensorFromPieces,
  tensorsFromPieces,
  type WritePiece,
} from './ops/tensor-from-pieces.js';
export { withoutGradient } from './ops/without-gradient.js';
export {
  Generator,
  type GeneratorState,
  getDefaultGenerator,
  manualSeed,
  randNormal,
  randUniform,
} from './random.js';
export { RandomState } from './random-state.js';
export { bfloat16ToFloat, halfToFloat } from './safetensors/float16.js';
export {
  type Safetensors,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsTensor,
  type TensorToWrite,
} from './safetensors/format.js';
export {
  type ByteRanges,
  blobAsRanges,
  bytesAsRanges,
  openSafetensorsRanges,
  readsInPieces,
  type SafetensorsRanges,
} from './safetensors/ranges.js';
export {
  decodeSafetensorsTensor,
  parseSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
  safetensorsHeaderLength,
} from './safetensors/read.js';
export { serializeTensors, tensorsFromSafetensors } from './safetensors/tensors.js';
export { checkWeightDtype, checkWeightPiece, checkWeights } from './safetensors/weights.js';
export {
  safetensorsHeader,
  safetensorsPieces,
  serializeSafetensors,
  type TensorLayoutToWrite,
} from './safetensors/write.js';
export { tf } from './tf.js';

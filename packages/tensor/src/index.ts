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
} from './backend/types.js';
export { jsonPreview, parseStrictJson, StrictJsonError, type StrictJsonOptions } from './json/strict-json.js';
export { Dropout, dropoutGenerator, setDropoutGenerator } from './nn/dropout.js';
export { Linear, type LinearOptions } from './nn/linear.js';
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
export { addBroadcast } from './ops/add.js';
export { gelu } from './ops/gelu.js';
export { heapView } from './ops/heap-view.js';
export { layerNorm } from './ops/layer-norm.js';
export { matMul, productsTakeTransposes } from './ops/mat-mul.js';
export {
  Generator,
  type GeneratorState,
  getDefaultGenerator,
  manualSeed,
  randNormal,
  randUniform,
} from './random.js';
export { bfloat16ToFloat, halfToFloat } from './safetensors/float16.js';
export {
  type Safetensors,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsTensor,
  type TensorToWrite,
} from './safetensors/format.js';
export {
  decodeSafetensorsTensor,
  parseSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
  safetensorsHeaderLength,
} from './safetensors/read.js';
export { serializeTensors, tensorsFromSafetensors } from './safetensors/tensors.js';
export { serializeSafetensors } from './safetensors/write.js';
export { tf } from './tf.js';

export {
  ADAPTER_FILE,
  ADAPTER_FORMAT,
  AdapterError,
  type LoRASettings,
  loadAdapters,
  loraSettingsOf,
  serializeAdapters,
} from './adapters.js';
export {
  type ApplyLoRAOptions,
  applyLoRA,
  isLinearWithLoRA,
  type LinearWithLoRA,
  LORA_CHILD,
  loraLayers,
  maxLoRARank,
} from './apply.js';
export { type ForwardModel, withAdaptersDisabled, withoutAdapters } from './disable.js';
export { LoRALayer, type LoRAOptions, type LoRAScaling } from './lora-layer.js';
export { mergeLoRA } from './merge.js';

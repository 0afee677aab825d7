import { parseSafetensors } from '@scratchgpt/tensor';
import type { DecoderModel } from './decoder-model.js';

/**
 * Loads a safetensors file in the Hugging Face layout into `model`, every tensor by name (F32, F16 or
 * BF16). A tied model ignores a stored `lm_head.weight`: some checkpoints save the shared table twice.
 */
export function loadWeights(model: DecoderModel, bytes: Uint8Array, source = 'weights'): void {
  const tensors = parseSafetensors(bytes, source).tensors;
  if (model.config.tieEmbeddings) tensors.delete('lm_head.weight');
  const floats = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of tensors) {
    if (!(tensor.data instanceof Float32Array)) {
      throw new TypeError(`${source}: ${name} holds ${tensor.dtype} values; weights must be floating point`);
    }
    floats.set(name, { shape: tensor.shape, data: tensor.data });
  }
  model.loadStateDict(floats);
}

/**
 * A model of an open family as Hugging Face checkpoint files: its config.json and one float32
 * model.safetensors under Hugging Face's names, which `loadOpenModelCheckpoint` and transformers'
 * `from_pretrained` both read back. Weights are read from the device asynchronously, so this works on
 * WebGPU too.
 */
import { safetensorsPieces, serializeSafetensors, type TensorLayoutToWrite } from '@scratchgpt/tensor';
import { validateDecoderConfig } from '../blocks/decoder-config.js';
import type { DecoderModel } from '../blocks/decoder-model.js';
import { familyOf } from './families.js';

export interface SerializedOpenModel {
  /** config.json: the one the model was built from, its dtype now float32. */
  config: Record<string, unknown>;
  /** model.safetensors bytes (F32); a tied head is stored once, as the embedding. */
  weights: Uint8Array;
}

/**
 * `configJson` must be the config.json the model was built from (or one describing the same model):
 * a config of another shape is refused rather than written beside weights it does not describe.
 */
export async function serializeOpenModelCheckpoint(
  model: DecoderModel,
  configJson: unknown,
  options: { metadata?: Record<string, string> } = {},
): Promise<SerializedOpenModel> {
  const config = savedConfig(model, configJson);
  const weights = serializeSafetensors(await model.hostStateDict(), weightsMetadata(options));
  return { config, weights };
}

/**
 * {@link serializeOpenModelCheckpoint} with the weights as pieces (the header, then each tensor) read
 * from the device one module at a time, for a writer that never holds the whole file. The bytes are
 * the same.
 */
export function streamOpenModelCheckpoint(
  model: DecoderModel,
  configJson: unknown,
  options: { metadata?: Record<string, string> } = {},
): { config: Record<string, unknown>; weights: AsyncIterable<Uint8Array> } {
  const config = savedConfig(model, configJson);
  const layout = new Map<string, TensorLayoutToWrite>(
    [...model.stateShapes()].map(([name, shape]) => [name, { shape, dtype: 'F32' }]),
  );
  return { config, weights: safetensorsPieces(layout, model.hostStateEntries(), weightsMetadata(options)) };
}

function weightsMetadata(options: { metadata?: Record<string, string> }): Record<string, string> {
  return { ...options.metadata, format: 'pt', producer: 'scratchgpt' };
}

/** The config.json to save beside the weights, refused when it describes another model. */
function savedConfig(model: DecoderModel, configJson: unknown): Record<string, unknown> {
  const described = validateDecoderConfig(familyOf(configJson).decoder(configJson));
  if (JSON.stringify(described) !== JSON.stringify(model.config)) {
    throw new RangeError(
      `config.json describes a different model from the one being saved (a ${described.family} of ${described.layerTypes.length} layers, hidden size ${described.embDim}, against a ${model.config.family} of ${model.config.layerTypes.length}, hidden size ${model.config.embDim}): save with the config the model was built from`,
    );
  }
  return { ...(configJson as Record<string, unknown>), torch_dtype: 'float32' };
}

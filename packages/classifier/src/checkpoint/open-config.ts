/**
 * The config.json of an open family's classifier: the one its model was built from, so that loading
 * rebuilds the same family, with the head marked tied: the vocabulary head was replaced by the class
 * head, so the body's weights hold none (as a GPT classifier's body is saved).
 */
import { type DecoderConfig, familyOf, validateDecoderConfig } from '@scratchgpt/open-models';

/** GPT-2's `model_type`; scratchgpt's own GPT configs name none. Any other names an open family. */
const GPT2_MODEL_TYPE = 'gpt2';

export function isOpenModelConfig(configJson: unknown): boolean {
  const modelType = (configJson as { model_type?: unknown } | null)?.model_type;
  return modelType !== undefined && modelType !== GPT2_MODEL_TYPE;
}

/** `configJson` must describe `decoder` (its head aside): a config of another model is refused. */
export function openClassifierConfig(decoder: DecoderConfig, configJson: unknown): Record<string, unknown> {
  if (configJson === null || typeof configJson !== 'object' || Array.isArray(configJson)) {
    throw new RangeError(
      `A ${decoder.family} classifier is saved with the config.json its model was built from: pass configJson`,
    );
  }
  const tied = { ...(configJson as Record<string, unknown>), tie_word_embeddings: true };
  const described = validateDecoderConfig(familyOf(tied).decoder(tied));
  if (JSON.stringify(described) !== JSON.stringify({ ...decoder, tieEmbeddings: true })) {
    throw new RangeError(
      `configJson describes a different model (a ${described.family} of ${described.layerTypes.length} layers, hidden size ${described.embDim}) from the classifier's (a ${decoder.family} of ${decoder.layerTypes.length} layers, hidden size ${decoder.embDim}): pass the config.json its model was built from`,
    );
  }
  return { ...tied, torch_dtype: 'float32' };
}

import type { DecoderConfig } from '../blocks/decoder-config.js';
import type { DecoderModel, DecoderModelOptions } from '../blocks/decoder-model.js';
import { gemma3ConfigFromHuggingFace, gemma3Decoder } from '../gemma3/config.js';
import { Gemma3Model } from '../gemma3/model.js';
import { llama3ConfigFromHuggingFace, llama3Decoder } from '../llama3/config.js';
import { Llama3Model } from '../llama3/model.js';
import { qwen3ConfigFromHuggingFace, qwen3Decoder } from '../qwen3/config.js';
import { Qwen3Model } from '../qwen3/model.js';

/** A family as a checkpoint names it, and how its config.json becomes a model. */
export interface OpenFamily {
  modelType: string;
  architecture: string;
  /** The shared decoder's config, for sizing the model before building it. */
  decoder(configJson: unknown): DecoderConfig;
  build(configJson: unknown, options?: DecoderModelOptions): DecoderModel;
}

const FAMILIES: readonly OpenFamily[] = [
  {
    modelType: 'qwen3',
    architecture: 'Qwen3ForCausalLM',
    decoder: (json) => qwen3Decoder(qwen3ConfigFromHuggingFace(json)),
    build: (json, options) => new Qwen3Model(qwen3ConfigFromHuggingFace(json), options),
  },
  {
    modelType: 'llama',
    architecture: 'LlamaForCausalLM',
    decoder: (json) => llama3Decoder(llama3ConfigFromHuggingFace(json)),
    build: (json, options) => new Llama3Model(llama3ConfigFromHuggingFace(json), options),
  },
  {
    modelType: 'gemma3_text',
    architecture: 'Gemma3ForCausalLM',
    decoder: (json) => gemma3Decoder(gemma3ConfigFromHuggingFace(json)),
    build: (json, options) => new Gemma3Model(gemma3ConfigFromHuggingFace(json), options),
  },
];

/** The supported families, as a checkpoint's config.json names them. */
export const SUPPORTED_FAMILIES = FAMILIES.map((family) => `${family.modelType} (${family.architecture})`);

/**
 * The family of a config.json, by `model_type`, else by its first `architectures` entry. Anything else
 * is refused with the list of what loads, rather than building a model of the wrong shape.
 */
export function familyOf(configJson: unknown, source = 'config.json'): OpenFamily {
  const json = (configJson ?? {}) as { model_type?: unknown; architectures?: unknown };
  const modelType = json.model_type;
  const architecture = Array.isArray(json.architectures) ? json.architectures[0] : undefined;
  const found = FAMILIES.find((family) =>
    modelType === undefined ? family.architecture === architecture : family.modelType === modelType,
  );
  if (found) return found;
  const named =
    modelType !== undefined
      ? `model_type ${JSON.stringify(modelType)}`
      : `architectures ${JSON.stringify(json.architectures)}`;
  throw new RangeError(
    `${source}: ${named} is not a family scratchgpt's open models load; supported: ${SUPPORTED_FAMILIES.join(', ')}`,
  );
}

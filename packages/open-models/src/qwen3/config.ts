import { checkConfigFields } from '../blocks/config-fields.js';
import { baseDecoder, type DecoderConfig, type DecoderSizes, SIZE_FIELDS } from '../blocks/decoder-config.js';
import { HuggingFaceFields } from '../blocks/hf-config.js';

/** Qwen3's settings (Hugging Face's config.json names in the comments). */
export interface Qwen3Config extends DecoderSizes {
  /** num_hidden_layers */
  nLayers: number;
  /** rope_theta */
  ropeBase: number;
  /** rms_norm_eps */
  normEps: number;
  /** tie_word_embeddings */
  tieEmbeddings: boolean;
}

const FIELDS = [...SIZE_FIELDS, 'nLayers', 'ropeBase', 'normEps', 'tieEmbeddings'] as const;

const SHARED = {
  vocabSize: 151_936,
  contextLength: 40_960,
  nHeads: 16,
  nKvGroups: 8,
  headDim: 128,
  nLayers: 28,
  ropeBase: 1_000_000,
  normEps: 1e-6,
  tieEmbeddings: true,
} as const;

/** The published base models' config.json values (Qwen/Qwen3-0.6B, Qwen/Qwen3-1.7B). */
export const QWEN3_PRESETS = {
  '0.6B': { ...SHARED, embDim: 1024, hiddenDim: 3072 },
  '1.7B': { ...SHARED, embDim: 2048, hiddenDim: 6144 },
} as const satisfies Record<string, Qwen3Config>;

/** The shared decoder's config for a Qwen3: SwiGLU, RMSNorm, QK-norm, every layer attending fully. */
export function qwen3Decoder(config: Qwen3Config): DecoderConfig {
  checkConfigFields('Qwen3', config, FIELDS);
  return baseDecoder('Qwen3', config, { qkNorm: true });
}

/** A Qwen3Config from a published config.json (Qwen3ForCausalLM). */
export function qwen3ConfigFromHuggingFace(json: unknown): Qwen3Config {
  const fields = new HuggingFaceFields('Qwen3', json);
  return {
    ...fields.sizes(),
    ropeBase: fields.number('rope_theta'),
    normEps: fields.number('rms_norm_eps'),
    tieEmbeddings: fields.boolean('tie_word_embeddings', false),
  };
}

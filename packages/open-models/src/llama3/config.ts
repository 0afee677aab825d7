import type { Llama3RotaryScaling } from '@scratchgpt/embeddings';
import { checkConfigFields } from '../blocks/config-fields.js';
import { baseDecoder, type DecoderConfig, type DecoderSizes, SIZE_FIELDS } from '../blocks/decoder-config.js';
import { HuggingFaceFields } from '../blocks/hf-config.js';

/** Llama 3's settings (Hugging Face's config.json names in the comments). */
export interface Llama3Config extends DecoderSizes {
  /** num_hidden_layers */
  nLayers: number;
  /** rope_theta */
  ropeBase: number;
  /** rope_scaling (rope_type "llama3"), or null for the plain frequencies */
  ropeScaling: Llama3RotaryScaling | null;
  /** rms_norm_eps */
  normEps: number;
  /** tie_word_embeddings */
  tieEmbeddings: boolean;
}

const FIELDS = [...SIZE_FIELDS, 'nLayers', 'ropeBase', 'ropeScaling', 'normEps', 'tieEmbeddings'] as const;

const SHARED = {
  vocabSize: 128_256,
  contextLength: 131_072,
  nKvGroups: 8,
  hiddenDim: 8192,
  ropeBase: 500_000,
  ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 },
  normEps: 1e-5,
  tieEmbeddings: true,
} as const;

/** The published base models' config.json values (meta-llama/Llama-3.2-1B, Llama-3.2-3B). */
export const LLAMA3_PRESETS = {
  '3.2-1B': { ...SHARED, embDim: 2048, nHeads: 32, headDim: 64, nLayers: 16 },
  '3.2-3B': { ...SHARED, embDim: 3072, nHeads: 24, headDim: 128, nLayers: 28 },
} as const satisfies Record<string, Llama3Config>;

/** The shared decoder's config for a Llama 3: SwiGLU, RMSNorm, no QK-norm, scaled rotary frequencies. */
export function llama3Decoder(config: Llama3Config): DecoderConfig {
  checkConfigFields('Llama 3', config, FIELDS);
  return baseDecoder('Llama 3', config, config.ropeScaling ? { ropeScaling: config.ropeScaling } : {});
}

/** A Llama3Config from a published config.json (LlamaForCausalLM); rope_scaling must be of type llama3. */
export function llama3ConfigFromHuggingFace(json: unknown): Llama3Config {
  const fields = new HuggingFaceFields('Llama 3', json);
  const scaling = fields.raw('rope_scaling');
  let ropeScaling: Llama3RotaryScaling | null = null;
  if (scaling != null) {
    const rope = new HuggingFaceFields('Llama 3 rope_scaling', scaling);
    const type = rope.raw('rope_type') ?? rope.raw('type');
    if (type !== 'llama3') {
      throw new RangeError(
        `Llama 3: rope_scaling of type ${JSON.stringify(type)} is not supported, only "llama3"`,
      );
    }
    ropeScaling = {
      factor: rope.number('factor'),
      lowFreqFactor: rope.number('low_freq_factor'),
      highFreqFactor: rope.number('high_freq_factor'),
      originalContextLength: rope.number('original_max_position_embeddings'),
    };
  }
  return {
    ...fields.sizes(),
    ropeBase: fields.number('rope_theta'),
    ropeScaling,
    normEps: fields.number('rms_norm_eps'),
    tieEmbeddings: fields.boolean('tie_word_embeddings', false),
  };
}

import { checkConfigFields } from '../blocks/config-fields.js';
import {
  baseDecoder,
  type DecoderConfig,
  type DecoderSizes,
  type LayerType,
  requirePositiveInteger,
  requirePositiveNumber,
  SIZE_FIELDS,
} from '../blocks/decoder-config.js';
import { HuggingFaceFields } from '../blocks/hf-config.js';

/** Gemma 3's settings (Hugging Face's config.json names in the comments). */
export interface Gemma3Config extends DecoderSizes {
  /** num_hidden_layers */
  nLayers: number;
  /** layer_types: one entry a layer, 'sliding' or 'full' (see {@link gemma3LayerTypes}) */
  layerTypes: LayerType[];
  /** sliding_window: a sliding layer's token sees itself and the slidingWindow − 1 before it */
  slidingWindow: number;
  /** rope_theta, for the full-attention layers */
  ropeBase: number;
  /** rope_local_base_freq, for the sliding layers */
  ropeLocalBase: number;
  /** query_pre_attn_scalar: scores are q·k / √queryPreAttnScalar */
  queryPreAttnScalar: number;
  /** final_logit_softcapping, or null for none (the published Gemma 3 models have none) */
  finalLogitSoftcap: number | null;
  /** rms_norm_eps */
  normEps: number;
  /** tie_word_embeddings */
  tieEmbeddings: boolean;
  /**
   * rope_scaling.factor of a linear rope_scaling (Gemma 3 4B and larger: 8): the full-attention layers
   * take their rotary angles at position / factor. Absent or null: no scaling (270M, 1B).
   */
  ropeLinearFactor?: number | null;
}

const FIELDS = [
  ...SIZE_FIELDS,
  'nLayers',
  'layerTypes',
  'slidingWindow',
  'ropeBase',
  'ropeLocalBase',
  'queryPreAttnScalar',
  'finalLogitSoftcap',
  'normEps',
  'tieEmbeddings',
] as const;

/** Gemma 3's pattern: five sliding-window layers, then one full-attention layer, repeated. */
export function gemma3LayerTypes(nLayers: number): LayerType[] {
  return Array.from({ length: nLayers }, (_, i) => ((i + 1) % 6 === 0 ? 'full' : 'sliding'));
}

const SHARED = {
  vocabSize: 262_144,
  contextLength: 32_768,
  nHeads: 4,
  nKvGroups: 1,
  headDim: 256,
  slidingWindow: 512,
  ropeBase: 1_000_000,
  ropeLocalBase: 10_000,
  queryPreAttnScalar: 256,
  finalLogitSoftcap: null,
  normEps: 1e-6,
  tieEmbeddings: true,
} as const;

/** The published models' config.json values (google/gemma-3-270m, google/gemma-3-1b-pt). */
export const GEMMA3_PRESETS = {
  '270M': { ...SHARED, embDim: 640, hiddenDim: 2048, nLayers: 18, layerTypes: gemma3LayerTypes(18) },
  '1B': { ...SHARED, embDim: 1152, hiddenDim: 6912, nLayers: 26, layerTypes: gemma3LayerTypes(26) },
} as const satisfies Record<string, Gemma3Config>;

/**
 * The shared decoder's config for a Gemma 3: GELU-tanh gating, (1 + weight) RMSNorms, four norms a
 * block, QK-norm, embeddings × √embDim, sliding-window layers with their own rotary base.
 */
export function gemma3Decoder(config: Gemma3Config): DecoderConfig {
  const family = 'Gemma 3';
  checkConfigFields(family, config, FIELDS, ['ropeLinearFactor']);
  requirePositiveInteger(family, 'nLayers', config.nLayers);
  const layerTypes = [...config.layerTypes];
  if (
    layerTypes.length !== config.nLayers ||
    layerTypes.some((type) => type !== 'full' && type !== 'sliding')
  ) {
    throw new RangeError(
      `${family} config: layerTypes must hold nLayers (${config.nLayers}) entries, each 'sliding' or 'full'; ` +
        `got [${layerTypes.join(', ')}] (gemma3LayerTypes(nLayers) gives the published pattern)`,
    );
  }
  requirePositiveNumber(family, 'queryPreAttnScalar', config.queryPreAttnScalar);
  return baseDecoder(family, config, {
    layerTypes,
    ropeLocalBase: config.ropeLocalBase,
    slidingWindow: config.slidingWindow,
    queryScale: 1 / Math.sqrt(config.queryPreAttnScalar),
    normUnitOffset: true,
    qkNorm: true,
    sandwichNorms: true,
    scaleEmbeddings: true,
    activation: 'gelu-tanh',
    ...(config.finalLogitSoftcap !== null ? { finalLogitSoftcap: config.finalLogitSoftcap } : {}),
    ...(config.ropeLinearFactor != null ? { ropeLinearFactor: config.ropeLinearFactor } : {}),
  });
}

/**
 * A Gemma3Config from a published config.json (Gemma3ForCausalLM, text only). Layer types come from
 * `layer_types` where given, else from the 5:1 pattern; rope_scaling may be linear (the 4B and larger
 * models), for the full-attention layers.
 */
export function gemma3ConfigFromHuggingFace(json: unknown): Gemma3Config {
  const fields = new HuggingFaceFields('Gemma 3', json);
  const sizes = fields.sizes();
  const given = fields.raw('layer_types');
  const layerTypes = Array.isArray(given)
    ? given.map((type) =>
        type === 'sliding_attention' ? 'sliding' : type === 'full_attention' ? 'full' : type,
      )
    : gemma3LayerTypes(sizes.nLayers);
  const softcap = fields.raw('final_logit_softcapping');
  return {
    ...sizes,
    layerTypes,
    slidingWindow: fields.number('sliding_window'),
    ropeBase: fields.number('rope_theta'),
    ropeLocalBase: fields.number('rope_local_base_freq'),
    queryPreAttnScalar: fields.number('query_pre_attn_scalar'),
    finalLogitSoftcap: softcap == null ? null : fields.number('final_logit_softcapping'),
    normEps: fields.number('rms_norm_eps'),
    tieEmbeddings: fields.boolean('tie_word_embeddings', true),
    ...linearRopeFactor(fields.raw('rope_scaling')),
  };
}

/** `{ ropeLinearFactor }` from a linear rope_scaling, nothing from null; any other kind is refused. */
function linearRopeFactor(scaling: unknown): Pick<Gemma3Config, 'ropeLinearFactor'> {
  if (scaling == null) return {};
  const rope = new HuggingFaceFields('Gemma 3 rope_scaling', scaling);
  // Older configs name the kind `type`.
  const type = rope.raw('rope_type') ?? rope.raw('type');
  if (type !== 'linear') {
    throw new RangeError(
      `Gemma 3: rope_scaling of type ${JSON.stringify(type)} is not supported, only "linear"`,
    );
  }
  return { ropeLinearFactor: rope.number('factor') };
}

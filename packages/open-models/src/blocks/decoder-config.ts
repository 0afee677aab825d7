import { checkLlama3Scaling, type Llama3RotaryScaling } from '@scratchgpt/embeddings';
import type { GateActivation } from './gated-feed-forward.js';

/** A layer attends to every earlier token ('full') or to a window of them ('sliding'). */
export type LayerType = 'full' | 'sliding';

/** The sizes every family's config has (Hugging Face's config.json names in the comments). */
export interface DecoderSizes {
  /** vocab_size */
  vocabSize: number;
  /** max_position_embeddings */
  contextLength: number;
  /** hidden_size */
  embDim: number;
  /** num_attention_heads */
  nHeads: number;
  /** num_key_value_heads: each serves nHeads / nKvGroups query heads */
  nKvGroups: number;
  /** head_dim, which need not be embDim / nHeads */
  headDim: number;
  /** intermediate_size, the width of the gated feed-forward */
  hiddenDim: number;
}

/** The fields of {@link DecoderSizes}, each a positive integer. */
export const SIZE_FIELDS = [
  'vocabSize',
  'contextLength',
  'embDim',
  'nHeads',
  'nKvGroups',
  'headDim',
  'hiddenDim',
] as const satisfies ReadonlyArray<keyof DecoderSizes>;

/**
 * Everything the shared decoder needs; each family's config (Qwen3Config, …) is translated into one.
 * The switches are where the families differ.
 */
export interface DecoderConfig extends DecoderSizes {
  /** The family's name, for error messages. */
  family: string;
  layerTypes: LayerType[];
  /** Rotary base of the full-attention layers. */
  ropeBase: number;
  /** Rotary base of the sliding-window layers. */
  ropeLocalBase: number;
  ropeScaling: Llama3RotaryScaling | undefined;
  /** The full-attention layers' positions divided by this (Gemma 3's linear rope_scaling). */
  ropeLinearFactor: number | undefined;
  slidingWindow: number | undefined;
  queryScale: number;
  normEps: number;
  /** Norm weights are offsets from one (Gemma). */
  normUnitOffset: boolean;
  qkNorm: boolean;
  /** Norms after each sub-layer as well as before it (Gemma 3's four norms per block). */
  sandwichNorms: boolean;
  /** Token embeddings multiplied by √embDim (Gemma). */
  scaleEmbeddings: boolean;
  activation: GateActivation;
  tieEmbeddings: boolean;
  /** Logits become cap · tanh(logits / cap). */
  finalLogitSoftcap: number | undefined;
}

/** A field of a family's config that must be a positive integer; the error names the family. */
export function requirePositiveInteger(family: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${family} config: ${field} must be a positive integer, got ${String(value)}`);
  }
}

export function requirePositiveNumber(family: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${family} config: ${field} must be a positive number, got ${String(value)}`);
  }
}

/** Checks what every family shares; returns the config for chaining. */
export function validateDecoderConfig(config: DecoderConfig): DecoderConfig {
  const { family } = config;
  for (const field of SIZE_FIELDS) {
    requirePositiveInteger(family, field, config[field]);
  }
  for (const field of ['ropeBase', 'ropeLocalBase', 'normEps', 'queryScale'] as const) {
    requirePositiveNumber(family, field, config[field]);
  }
  if (config.nHeads % config.nKvGroups !== 0) {
    throw new RangeError(
      `${family} config: nHeads (${config.nHeads}) must be a multiple of nKvGroups (${config.nKvGroups}), ` +
        'as each key/value group serves the same number of query heads',
    );
  }
  if (config.headDim % 2 !== 0) {
    throw new RangeError(
      `${family} config: headDim must be even for rotary positions, got ${config.headDim}`,
    );
  }
  if (config.layerTypes.length === 0) {
    throw new RangeError(`${family} config: nLayers must be a positive integer, got 0`);
  }
  if (config.layerTypes.includes('sliding'))
    requirePositiveInteger(family, 'slidingWindow', config.slidingWindow);
  if (config.finalLogitSoftcap !== undefined) {
    requirePositiveNumber(family, 'finalLogitSoftcap', config.finalLogitSoftcap);
  }
  if (config.ropeScaling) checkLlama3Scaling(config.ropeScaling);
  if (config.ropeLinearFactor !== undefined) {
    requirePositiveNumber(family, 'ropeLinearFactor', config.ropeLinearFactor);
  }
  return config;
}

/** The settings every family has beyond its sizes. */
export interface BaseDecoderSettings extends DecoderSizes {
  nLayers: number;
  ropeBase: number;
  normEps: number;
  tieEmbeddings: boolean;
}

/**
 * A decoder of SwiGLU blocks with pre-norms only, every layer attending fully, scores scaled by
 * 1/√headDim: Llama 3's shape, from which each family's `overrides` depart.
 */
export function baseDecoder(
  family: string,
  config: BaseDecoderSettings,
  overrides: Partial<DecoderConfig> = {},
): DecoderConfig {
  requirePositiveInteger(family, 'nLayers', config.nLayers);
  const sizes = Object.fromEntries(
    SIZE_FIELDS.map((field) => [field, config[field]]),
  ) as unknown as DecoderSizes;
  return {
    family,
    ...sizes,
    layerTypes: Array.from({ length: config.nLayers }, () => 'full' as const),
    ropeBase: config.ropeBase,
    ropeLocalBase: config.ropeBase,
    ropeScaling: undefined,
    ropeLinearFactor: undefined,
    slidingWindow: undefined,
    queryScale: 1 / Math.sqrt(config.headDim),
    normEps: config.normEps,
    normUnitOffset: false,
    qkNorm: false,
    sandwichNorms: false,
    scaleEmbeddings: false,
    activation: 'silu',
    tieEmbeddings: config.tieEmbeddings,
    finalLogitSoftcap: undefined,
    ...overrides,
  };
}

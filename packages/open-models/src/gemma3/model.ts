import { countDecoderParameters } from '../blocks/counts.js';
import { DecoderModel, type DecoderModelOptions } from '../blocks/decoder-model.js';
import { type Gemma3Config, gemma3Decoder } from './config.js';

/**
 * Gemma 3 (text): sliding-window layers mixed with full-attention ones, each kind with its rotary base,
 * four (1 + weight) RMSNorms a block, QK-norm, GELU-tanh gating, embeddings scaled by √embDim.
 */
export class Gemma3Model extends DecoderModel {
  constructor(config: Gemma3Config, options: DecoderModelOptions = {}) {
    super(gemma3Decoder(config), options);
  }
}

/** Parameters of a Gemma 3 with this config, without building it (the tied head counted once). */
export function countGemma3Parameters(config: Gemma3Config): number {
  return countDecoderParameters(gemma3Decoder(config));
}

import { countDecoderParameters } from '../blocks/counts.js';
import { DecoderModel, type DecoderModelOptions } from '../blocks/decoder-model.js';
import { type Qwen3Config, qwen3Decoder } from './config.js';

/** Qwen3 (dense): grouped-query attention with RMS-normalised query and key heads, SwiGLU, RMSNorm. */
export class Qwen3Model extends DecoderModel {
  constructor(config: Qwen3Config, options: DecoderModelOptions = {}) {
    super(qwen3Decoder(config), options);
  }
}

/** Parameters of a Qwen3 with this config, without building it (a tied head counted once). */
export function countQwen3Parameters(config: Qwen3Config): number {
  return countDecoderParameters(qwen3Decoder(config));
}

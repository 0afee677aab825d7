import { countDecoderParameters } from '../blocks/counts.js';
import { DecoderModel, type DecoderModelOptions } from '../blocks/decoder-model.js';
import { type Llama3Config, llama3Decoder } from './config.js';

/** Llama 3 (3.2's small models): grouped-query attention, SwiGLU, RMSNorm, Llama 3's rotary scaling. */
export class Llama3Model extends DecoderModel {
  constructor(config: Llama3Config, options: DecoderModelOptions = {}) {
    super(llama3Decoder(config), options);
  }
}

/** Parameters of a Llama 3 with this config, without building it (a tied head counted once). */
export function countLlama3Parameters(config: Llama3Config): number {
  return countDecoderParameters(llama3Decoder(config));
}

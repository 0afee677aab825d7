import type { StoragePrecision } from '@scratchgpt/tensor';
import type { DecoderConfig } from './decoder-config.js';

/**
 * Parameters of a decoder with this config, counted from the shapes alone (nothing is allocated), in the
 * convention of the published model cards: a tied head is counted once, with the embedding.
 */
export function countDecoderParameters(config: DecoderConfig): number {
  const { vocabSize, embDim, nHeads, nKvGroups, headDim, hiddenDim, layerTypes } = config;
  const attention = 2 * embDim * nHeads * headDim + 2 * embDim * nKvGroups * headDim; // q, o; k, v
  const qkNorms = config.qkNorm ? 2 * headDim : 0;
  const feedForward = 3 * embDim * hiddenDim;
  const norms = (config.sandwichNorms ? 4 : 2) * embDim;
  const perLayer = attention + qkNorms + feedForward + norms;
  const embedding = vocabSize * embDim;
  const head = config.tieEmbeddings ? 0 : vocabSize * embDim;
  return embedding + layerTypes.length * perLayer + embDim + head; // + the final norm
}

/**
 * The values that can be stored in 16 bits (`storeWeights`, `buildInPrecision`): every projection of
 * the layers, the embedding, an untied head; the norms stay float32.
 */
export function countHalfStorableValues(config: DecoderConfig): number {
  const { vocabSize, embDim, nHeads, nKvGroups, headDim, hiddenDim, layerTypes } = config;
  const attention = 2 * embDim * nHeads * headDim + 2 * embDim * nKvGroups * headDim;
  const perLayer = attention + 3 * embDim * hiddenDim;
  return vocabSize * embDim * (config.tieEmbeddings ? 1 : 2) + layerTypes.length * perLayer;
}

/** Bytes the weights of a decoder take with its Linear weights and tables stored in `precision`. */
export function decoderWeightBytes(config: DecoderConfig, precision: StoragePrecision): number {
  const all = 4 * countDecoderParameters(config);
  return precision === 'f32' ? all : all - 2 * countHalfStorableValues(config);
}

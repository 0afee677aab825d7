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

import type { GPTConfig } from './config.js';

/** Parameters of a model, counted from its config alone (no tensors are allocated). */
export interface ParameterCount {
  tokenEmbedding: number;
  positionEmbedding: number;
  perBlock: { attention: number; feedForward: number; layerNorms: number; total: number };
  blocks: number;
  finalNorm: number;
  /** 0 when the head is tied to the token embedding. */
  outputHead: number;
  total: number;
}

export function countParameters(config: GPTConfig): ParameterCount {
  const { vocabSize: v, contextLength: c, embDim: e, nLayers } = config;
  const tokenEmbedding = v * e;
  const positionEmbedding = (config.positionEmbedding ?? 'learned') === 'learned' ? c * e : 0;
  // Query, key and value projections (+ biases), then out_proj with its bias.
  const attention = 3 * e * e + (config.qkvBias ? 3 * e : 0) + e * e + e;
  const feedForward = e * 4 * e + 4 * e + 4 * e * e + e;
  const layerNorms = 2 * 2 * e;
  const perBlockTotal = attention + feedForward + layerNorms;
  const finalNorm = 2 * e;
  const outputHead = config.tieWeights ? 0 : v * e;
  const blocks = nLayers * perBlockTotal;
  return {
    tokenEmbedding,
    positionEmbedding,
    perBlock: { attention, feedForward, layerNorms, total: perBlockTotal },
    blocks,
    finalNorm,
    outputHead,
    total: tokenEmbedding + positionEmbedding + blocks + finalNorm + outputHead,
  };
}

/** Size of the parameters in MB (bytes / 1024²), 4 bytes each for float32. */
export function parameterMemoryMB(parameters: number, bytesPerParameter = 4): number {
  return (parameters * bytesPerParameter) / (1024 * 1024);
}

/**
 * How many bytes of tensors a model needs, estimated from its config before anything is allocated,
 * so a model that cannot fit a backend is refused at once instead of failing half-way (a wasm heap
 * stops at 4 GiB).
 *
 * The estimate counts float32 weights; for training, their gradients and AdamW's two moments; and the
 * activations a pass keeps: per block about 17 vectors of embDim per token (norms, queries, keys,
 * values, the attention output, the 4× feed-forward and its GELU, residuals) and 3 T×T score matrices
 * per head (scores, weights, dropout), all kept for the backward pass when training, one block at a
 * time otherwise. It is a floor, not a promise: allocators fragment.
 */
import { memoryBudgetBytes } from '@scratchgpt/tensor';
import { type GPTConfig, type PresetName, presets } from './config.js';
import { countParameters } from './counts.js';

export interface MemoryUse {
  /** Rows per batch (1 for generation). */
  batchSize: number;
  /** Tokens per row. */
  tokens: number;
  /** Training keeps activations and gradients, and adds AdamW's moments (unless on the host). */
  training: boolean;
  /** AdamW's moments live on the host, outside the backend's memory. */
  hostMoments?: boolean;
  /**
   * Training LoRA updates of this many parameters instead of the model (which is then frozen: no
   * gradients or moments of its own), the updates having their own weights, gradients and moments.
   */
  adapterParameters?: number;
}

export interface MemoryEstimate {
  parameters: number;
  weightBytes: number;
  /** Gradients and optimizer moments on the device; 0 when not training. */
  optimizerBytes: number;
  activationBytes: number;
  totalBytes: number;
}

const FLOAT = 4;

export function estimateMemory(config: GPTConfig, use: MemoryUse): MemoryEstimate {
  const adapters = use.adapterParameters ?? 0;
  const parameters = countParameters(config).total + adapters;
  const weightBytes = parameters * FLOAT;
  const trainedBytes = use.adapterParameters === undefined ? weightBytes : adapters * FLOAT;
  const optimizerBytes = use.training ? trainedBytes * (use.hostMoments ? 1 : 3) : 0;
  const { embDim, nHeads, nLayers } = config;
  const rows = use.batchSize * use.tokens;
  const perBlock = (17 * rows * embDim + 3 * use.batchSize * nHeads * use.tokens * use.tokens) * FLOAT;
  // Training keeps every block's activations (and a gradient of the largest at a time); a forward
  // pass needs one block's, then the logits of the last position at least.
  const activationBytes = use.training
    ? perBlock * nLayers * 1.5
    : perBlock + rows * config.vocabSize * FLOAT;
  return {
    parameters,
    weightBytes,
    optimizerBytes,
    activationBytes,
    totalBytes: weightBytes + optimizerBytes + activationBytes,
  };
}

export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';
}

/**
 * Throws a `MemoryBudgetError` when the estimate exceeds what the current backend can hold, saying
 * what would fit. Backends without a known ceiling pass.
 */
export function assertFitsMemory(config: GPTConfig, use: MemoryUse, what = 'This model'): MemoryEstimate {
  const estimate = estimateMemory(config, use);
  const budget = memoryBudgetBytes();
  if (budget == null || estimate.totalBytes <= budget) return estimate;
  const fitting = (Object.keys(presets) as PresetName[]).filter(
    (name) => estimateMemory({ ...presets[name] }, use).totalBytes <= budget,
  );
  const largest = fitting.sort(
    (a, b) => countParameters(presets[b]).total - countParameters(presets[a]).total,
  )[0];
  throw new MemoryBudgetError(
    `${what} needs about ${gib(estimate.totalBytes)} GiB of tensors to ${use.training ? 'train' : 'run'} ` +
      `(${(estimate.parameters / 1e6).toFixed(0)}M parameters, batch ${use.batchSize} × ${use.tokens}); ` +
      `this backend holds ${gib(budget)} GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), ` +
      `a smaller batch or context${largest ? `, or a smaller model (${largest} fits)` : ''}`,
  );
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

/**
 * How many bytes of tensors a model needs, estimated from its config before anything is allocated,
 * so a model that cannot fit a backend is refused at once instead of failing half-way (a wasm heap
 * stops at 4 GiB).
 *
 * The estimate counts float32 weights; for training, their gradients and AdamW's two moments; and the
 * activations a pass keeps: per block about 17 vectors of embDim per token (norms, queries, keys,
 * values, the attention output, the 4× feed-forward and its GELU, residuals) and 3 T×T score matrices
 * per head (scores, weights, dropout), all kept for the backward pass when training, one block at a
 * time otherwise. Recomputing the blocks (`recompute: 'blocks'`) keeps each block's input instead, and
 * one block's activations at a time while its backward pass runs. It is a floor, not a promise:
 * allocators fragment.
 */
import { memoryBudgetBytes, type RecomputeMode } from '@scratchgpt/tensor';
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
  /** 'blocks': training keeps each block's input and recomputes the rest (default 'none'). */
  recompute?: RecomputeMode;
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
  // Training keeps every block's activations (and a gradient of the largest at a time), or with
  // recomputation every block's input and one block's activations; a forward pass needs one block's,
  // then the logits of the last position at least.
  const kept =
    use.recompute === 'blocks' ? nLayers * rows * embDim * FLOAT + perBlock * 1.5 : perBlock * nLayers * 1.5;
  const activationBytes = use.training ? kept : perBlock + rows * config.vocabSize * FLOAT;
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

  constructor(
    message: string,
    /** Training that does not fit would with `recompute: 'blocks'`. */
    readonly fitsWithRecompute = false,
  ) {
    super(message);
  }
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
  const fitsWithRecompute =
    use.training &&
    use.recompute !== 'blocks' &&
    estimateMemory(config, { ...use, recompute: 'blocks' }).totalBytes <= budget;
  throw new MemoryBudgetError(
    `${what} needs about ${gib(estimate.totalBytes)} GiB of tensors to ${use.training ? 'train' : 'run'} ` +
      `(${(estimate.parameters / 1e6).toFixed(0)}M parameters, batch ${use.batchSize} × ${use.tokens}); ` +
      `this backend holds ${gib(budget)} GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), ` +
      `a smaller batch or context${largest ? `, or a smaller model (${largest} fits)` : ''}`,
    fitsWithRecompute,
  );
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

/**
 * How many bytes of tensors a model needs, estimated from its config before anything is allocated,
 * so a model that cannot fit a backend is refused at once instead of failing half-way (a wasm heap
 * stops at 4 GiB).
 *
 * The estimate counts float32 weights (2 bytes a value for a frozen base stored in 16 bits under
 * LoRA); for training, their gradients and AdamW's two moments; and the activations. Their
 * coefficients are measured, not derived: the live tensor bytes of one LoRA training step on wasm
 * (test/memory-estimate.test.ts in the CLI holds the estimate to them) keep about 19 (float32) to
 * 25 (under 16-bit autocast) vectors of embDim per token and 2.5 to 3.1 T×T matrices per head in each
 * block, counted as 25 and 3.2. Training keeps every block's, or with recomputation
 * (`recompute: 'blocks'`) every block's input and one block's; then the head meets the loss in chunks
 * of about 32 MB of logits ({@link trainingHeadBytes}). It is a count of live tensors, not a promise:
 * allocators fragment.
 */
import { memoryBudgetBytes, type RecomputeMode, type StoragePrecision } from '@scratchgpt/tensor';
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
  /**
   * How the model stores its Linear and embedding weights: f16 or bf16 take 2 bytes a value (norms,
   * positions and biases stay float32). Counted for the frozen model under LoRA updates, and for a
   * model that does not train (built or loaded in 16 bits); default f32. A model that trains keeps
   * float32 weights.
   */
  baseWeights?: StoragePrecision;
  /**
   * Outputs of the head that meets the loss when it is not the vocabulary: a classifier's classes.
   * Its logits are then a few numbers a row, computed whole.
   */
  headOutputs?: number;
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
const HALF = 2;
/** Vectors of embDim per token, and T × T matrices per head, that training keeps for each block. */
const BLOCK_VECTORS = 25;
const BLOCK_SCORES = 3.2;
/** The fused head's chunk of logits (trainer's `linearCrossEntropy`). */
const HEAD_CHUNK_BYTES = 32 * 2 ** 20;

export function estimateMemory(config: GPTConfig, use: MemoryUse): MemoryEstimate {
  const adapters = use.adapterParameters ?? 0;
  const parameters = countParameters(config).total + adapters;
  const frozen = use.adapterParameters !== undefined || !use.training;
  const halfBase = frozen && (use.baseWeights ?? 'f32') !== 'f32';
  const weightBytes = parameters * FLOAT - (halfBase ? halfStoredValues(config) * (FLOAT - HALF) : 0);
  const trainedBytes = use.adapterParameters === undefined ? weightBytes : adapters * FLOAT;
  const optimizerBytes = use.training ? trainedBytes * (use.hostMoments ? 1 : 3) : 0;
  const { embDim, nHeads, nLayers, vocabSize } = config;
  const rows = use.batchSize * use.tokens;
  const perBlock =
    (BLOCK_VECTORS * rows * embDim + BLOCK_SCORES * use.batchSize * nHeads * use.tokens ** 2) * FLOAT;
  const head =
    use.headOutputs === undefined
      ? trainingHeadBytes({
          vocabSize,
          embDim,
          rows,
          half: halfBase,
          trains: use.adapterParameters === undefined,
        })
      : 3 * rows * use.headOutputs * FLOAT;
  // The loss takes the head's gradients in the forward pass: after every block's activations, or,
  // recomputing, after their inputs alone and before any block runs again.
  const kept =
    use.recompute === 'blocks'
      ? nLayers * rows * embDim * FLOAT + Math.max(perBlock, head)
      : perBlock * nLayers + head;
  // A forward pass without a gradient holds one block's working set (17 vectors, 3 score matrices)
  // at a time, then the logits.
  const forwardBlock = (17 * rows * embDim + 3 * use.batchSize * nHeads * use.tokens ** 2) * FLOAT;
  const activationBytes = use.training ? kept : forwardBlock + rows * vocabSize * FLOAT;
  return {
    parameters,
    weightBytes,
    optimizerBytes,
    activationBytes,
    totalBytes: weightBytes + optimizerBytes + activationBytes,
  };
}

export interface TrainingHead {
  vocabSize: number;
  embDim: number;
  /** Rows meeting the loss: batch × tokens. */
  rows: number;
  /** The table is stored in 16 bits (frozen). */
  half: boolean;
  /** The table trains: its gradient is held too. */
  trains: boolean;
}

/**
 * What the head and the loss hold at once in a training step: the rows go through in chunks (each
 * chunk's logits, exponentials, gradient and its pieces, about 32 MB of logits). A float32 table is
 * read through a transposed copy (wasm copies transposed operands), and a trained one's gradient is
 * computed ahead of the backward pass; a 16-bit table is widened one shard (at most 32 MiB) at a time,
 * that shard transposed on wasm.
 */
export function trainingHeadBytes(head: TrainingHead): number {
  const { vocabSize: v, embDim: e, rows } = head;
  if (rows === 0) return 0;
  const chunkRows = Math.min(rows, Math.max(1, Math.floor(HEAD_CHUNK_BYTES / (v * FLOAT))));
  const logits = chunkRows * v * FLOAT;
  // Measured on wasm: 3.0 to 3.1 chunks of logits beside the widened shard, its transposed copy and
  // the input's gradient (twice while its chunks are joined); 4.2 beside a float32 table, whose shards
  // are also copied one at a time for the input's gradient (kept out of XNNPACK's cache).
  const shard = Math.min(v * e * FLOAT, HEAD_CHUNK_BYTES);
  if (head.half) return 3.2 * logits + 2 * shard + 2 * rows * e * FLOAT;
  return 4.5 * logits + shard + v * e * FLOAT * (head.trains ? 2 : 1);
}

/**
 * The values `storeWeights` puts in 16 bits: the token embedding, an untied head, and each block's
 * Linear weights (query, key, value and output projections, e × e each; the feed-forward's two,
 * 4e × e each). Biases, norms and positions stay float32.
 */
export function halfStoredValues(config: GPTConfig): number {
  const { vocabSize: v, embDim: e, nLayers } = config;
  return v * e * (config.tieWeights ? 1 : 2) + nLayers * 12 * e * e;
}

/**
 * A change of a training run that the estimate says would fit: recomputing the blocks, storing the
 * frozen base in 16 bits (LoRA only), or both together.
 */
export type MemoryRemedy = 'recompute' | 'half-base' | 'half-base+recompute';

export class MemoryBudgetError extends Error {
  override name = 'MemoryBudgetError';

  constructor(
    message: string,
    /** The remedies that fit, each alone where one does, else both together; empty when none does. */
    readonly fitsWith: readonly MemoryRemedy[] = [],
  ) {
    super(message);
  }

  /** Training that does not fit would with `recompute: 'blocks'` alone. */
  get fitsWithRecompute(): boolean {
    return this.fitsWith.includes('recompute');
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
  throw new MemoryBudgetError(
    `${what} needs about ${gib(estimate.totalBytes)} GiB of tensors to ${use.training ? 'train' : 'run'} ` +
      `(${(estimate.parameters / 1e6).toFixed(0)}M parameters, batch ${use.batchSize} × ${use.tokens}); ` +
      `this backend holds ${gib(budget)} GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), ` +
      `a smaller batch or context${largest ? `, or a smaller model (${largest} fits)` : ''}`,
    fittingRemedies(use, (changed) => estimateMemory(config, changed).totalBytes, budget),
  );
}

/** What a remedy changes of a run's use (and whether it trains, which decides what applies). */
export interface RemedyUse {
  training?: boolean;
  recompute?: RecomputeMode;
  adapterParameters?: number;
  baseWeights?: StoragePrecision;
}

/**
 * Which remedies bring a run's `bytes` within `budget`: recomputing the blocks (training), or storing
 * the weights in bf16 (the frozen base under LoRA, or a model that does not train); each alone where
 * one does, else both together.
 */
export function fittingRemedies<Use extends RemedyUse>(
  use: Use,
  bytes: (use: Use) => number,
  budget: number,
): MemoryRemedy[] {
  const recompute =
    use.training !== false && use.recompute !== 'blocks' ? { recompute: 'blocks' as const } : undefined;
  const frozen = use.adapterParameters !== undefined || use.training === false;
  const halfBase =
    frozen && (use.baseWeights ?? 'f32') === 'f32' ? { baseWeights: 'bf16' as const } : undefined;
  const fits = (change: RemedyUse) => bytes({ ...use, ...change }) <= budget;
  const alone: MemoryRemedy[] = [];
  if (recompute && fits(recompute)) alone.push('recompute');
  if (halfBase && fits(halfBase)) alone.push('half-base');
  if (alone.length > 0) return alone;
  return recompute && halfBase && fits({ ...recompute, ...halfBase }) ? ['half-base+recompute'] : [];
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

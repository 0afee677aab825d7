/**
 * Whether a model fits a backend's memory, decided from its config before any weight is allocated, so
 * a model that cannot fit is refused with what would fit instead of failing half-way through loading.
 *
 * The need is an estimate in float32 bytes (files in F16/BF16 are computed in float32):
 * - generate: the weights, the KV cache (keys and values of every layer over the whole context), the
 *   prompt's logits (context × vocabulary) and one layer's attention scores and activations;
 * - train: the weights times 8 where AdamW's moments stay on the device (weights, gradients, two
 *   moments and the update's temporaries), times 4 where the trainer keeps them on the host (it does
 *   when they would take over a quarter of a bounded heap); plus, per token of the batch, about
 *   130·embDim + 4·nHeads·context floats per layer for what backpropagation keeps and one vocabulary
 *   row for the logits. These factors follow the peak tensor memory `scratchgpt bench` measures on
 *   wasm (gpt2-small, batch 1, context 256: 3.44 GB measured, 4.0 GB estimated; small presets within
 *   about 25% either way).
 */
import { memoryBudgetBytes, tf } from '@scratchgpt/tensor';
import { type GPTConfig, type PresetName, presets } from './config.js';
import { countParameters } from './counts.js';

export type ModelUse = 'generate' | 'train';

export interface MemoryNeed {
  parameters: number;
  weightsBytes: number;
  /** Everything else the use needs at its peak. */
  workingBytes: number;
  totalBytes: number;
}

export interface RunShape {
  /** Windows per batch when training (default 1). */
  batchSize?: number;
  /** Tokens per window (default: the model's context). */
  contextLength?: number;
}

/** A ceiling on what a backend can hold, and how to name it in a message. */
export interface MemoryBudget {
  bytes: number;
  /** e.g. "the wasm backend's 4 GiB heap". */
  description: string;
}

const FLOAT = 4;

/** The current backend's ceiling (wasm's heap), or `null` where none is known ahead. */
export function currentMemoryBudget(): MemoryBudget | null {
  const bytes = memoryBudgetBytes();
  if (bytes === null) return null;
  return { bytes, description: `the ${tf.getBackend()} backend's ${bytes / 2 ** 30} GiB heap` };
}

export function estimateMemory(
  config: GPTConfig,
  use: ModelUse,
  run: RunShape = {},
  budget?: MemoryBudget,
): MemoryNeed {
  const parameters = countParameters(config).total;
  const weightsBytes = parameters * FLOAT;
  const t = run.contextLength ?? config.contextLength;
  const { embDim: d, nHeads: h, nLayers: layers, vocabSize: v } = config;
  let workingBytes: number;
  if (use === 'generate') {
    const kvCache = 2 * layers * t * d * FLOAT;
    const logits = t * v * FLOAT;
    const oneLayer = (h * t * t + 8 * t * d) * FLOAT;
    workingBytes = kvCache + logits + oneLayer;
  } else {
    const tokens = (run.batchSize ?? 1) * t;
    const optimizer = (momentsStayOnDevice(parameters, budget) ? 7 : 3) * weightsBytes;
    const perToken = (layers * (130 * d + 4 * h * t) + v) * FLOAT;
    workingBytes = optimizer + tokens * perToken;
  }
  return { parameters, weightsBytes, workingBytes, totalBytes: weightsBytes + workingBytes };
}

/** The trainer's rule for AdamW's moments (`preferredMomentsLocation`). */
function momentsStayOnDevice(parameters: number, budget: MemoryBudget | undefined): boolean {
  return budget === undefined || parameters * FLOAT * 4 <= budget.bytes / 4;
}

export class ModelTooLargeError extends Error {
  override name = 'ModelTooLargeError';

  constructor(
    message: string,
    readonly need: MemoryNeed,
    readonly budget: MemoryBudget,
    /** The largest GPT-2 size that fits the same use, if any. */
    readonly largestFittingGpt2: PresetName | undefined,
  ) {
    super(message);
  }
}

/** GPT-2 as its published weights have it: query/key/value biases, the head tied to the embedding. */
export const pretrainedGpt2Sizes = ['gpt2-small', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'] as const;

export function pretrainedGpt2(size: (typeof pretrainedGpt2Sizes)[number]): GPTConfig {
  return { ...presets[size], qkvBias: true, tieWeights: true };
}

/** The GPT-2 sizes whose need fits the budget for this use. */
export function gpt2SizesThatFit(
  use: ModelUse,
  budget: MemoryBudget | null,
  run: RunShape = {},
): Array<(typeof pretrainedGpt2Sizes)[number]> {
  return pretrainedGpt2Sizes.filter(
    (size) =>
      budget === null || estimateMemory(pretrainedGpt2(size), use, run, budget).totalBytes <= budget.bytes,
  );
}

/**
 * The estimate, or a {@link ModelTooLargeError} when it exceeds the budget, naming the need, the
 * ceiling and the largest GPT-2 that would fit. With no budget (`null`: no known ceiling) every model
 * passes.
 */
export function checkModelFits(
  config: GPTConfig,
  use: ModelUse,
  budget: MemoryBudget | null,
  options: RunShape & {
    name?: string;
    /** How to name the way out to another backend (default "a backend without that ceiling"). */
    otherBackends?: string;
  } = {},
): MemoryNeed {
  const need = estimateMemory(config, use, options, budget ?? undefined);
  if (budget === null || need.totalBytes <= budget.bytes) return need;
  const fitting = gpt2SizesThatFit(use, budget, options).at(-1);
  const name = options.name ?? 'the model';
  const model = fitting ? `a smaller model (${fitting} fits)` : 'a smaller model';
  const other = options.otherBackends ?? 'a backend without that ceiling';
  const ways = use === 'train' ? `${other}, a smaller batch or context, or ${model}` : `${other} or ${model}`;
  throw new ModelTooLargeError(
    `${name} (${need.parameters.toLocaleString('en-US')} parameters) needs about ${gigabytes(need.totalBytes)} to ${use}, more than ${budget.description}: use ${ways}`,
    need,
    budget,
    fitting,
  );
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/**
 * Whether training an open-family model fits the backend, estimated from its config before anything
 * is allocated: float32 weights (2 bytes a value for a frozen base stored in 16 bits under LoRA); for what trains, its gradients and AdamW's two moments (the moments
 * on the host where the trainer puts them there); and the activations kept for the backward pass.
 *
 * Activations per layer and token: about 8 vectors of embDim (norms, residuals, the attention's
 * projection), the queries twice (projected, rotated) and their attention output, keys and values
 * twice, and the gated feed-forward's four of hiddenDim (gate, up, activation, product); plus 3 T×T
 * score matrices per head; half again for the gradient in flight. Recomputing the layers
 * (`--recompute blocks`) keeps each layer's input instead, and one layer's activations at a time. The head's logits are computed
 * inside the loss in chunks (`trainingHeadBytes`, as for a GPT), unless a logit soft-cap (Gemma 3's
 * option) makes the model write them whole. A floor, not a promise: allocators fragment.
 */

import { fittingRemedies, trainingHeadBytes } from '@scratchgpt/gpt-model';
import { countDecoderParameters, countHalfStorableValues, type DecoderConfig } from '@scratchgpt/open-models';
import { memoryBudgetBytes, type RecomputeMode, type StoragePrecision } from '@scratchgpt/tensor';
import { preferredMomentsLocation } from '@scratchgpt/trainer';
import { CommandError } from './errors.js';
import { remedyText } from './memory-check.js';

const FLOAT = 4;
const HALF = 2;

export interface OpenTrainingUse {
  batchSize: number;
  /** Tokens per row. */
  tokens: number;
  /** LoRA updates of this many parameters train instead of the model (then frozen). */
  adapterParameters?: number;
  /** 'blocks': each layer's input is kept and the rest recomputed in the backward pass. */
  recompute?: RecomputeMode;
  /**
   * Under LoRA, how the frozen model stores its projections and embedding tables: 2 bytes a value in
   * f16 or bf16 (norms stay float32). Default f32.
   */
  baseWeights?: StoragePrecision;
}

/** The values `storeWeights` puts in 16 bits: every projection of the layers, the embedding, an untied head. */
export const openHalfStoredValues = countHalfStorableValues;

export function openTrainingBytes(config: DecoderConfig, use: OpenTrainingUse): number {
  const base = countDecoderParameters(config);
  const trained = use.adapterParameters ?? base;
  const weights =
    (base + (use.adapterParameters ?? 0)) * FLOAT -
    (halfBase(use) ? openHalfStoredValues(config) * (FLOAT - HALF) : 0);
  const onDevice = preferredMomentsLocation(trained) === 'host' ? 1 : 3;
  const optimizer = trained * FLOAT * onDevice;
  return weights + optimizer + openActivationBytes(config, use);
}

/** A frozen base stored in 16 bits. */
function halfBase(use: OpenTrainingUse): boolean {
  return use.adapterParameters !== undefined && (use.baseWeights ?? 'f32') !== 'f32';
}

/** What a training step holds beyond the weights and the optimizer: the layers' activations and the head's. */
export function openActivationBytes(config: DecoderConfig, use: OpenTrainingUse): number {
  const { batchSize, tokens } = use;
  const { embDim, nHeads, nKvGroups, headDim, hiddenDim } = config;
  const perToken = 8 * embDim + 3 * nHeads * headDim + 4 * nKvGroups * headDim + 4 * hiddenDim;
  const perLayer = (batchSize * tokens * perToken + 3 * batchSize * nHeads * tokens * tokens) * FLOAT;
  const rows = batchSize * tokens;
  // A soft-capped head writes all the logits and their capped copy; else the loss takes them in chunks.
  const head =
    config.finalLogitSoftcap == null
      ? trainingHeadBytes({
          vocabSize: config.vocabSize,
          embDim,
          rows,
          half: halfBase(use),
          trains: use.adapterParameters === undefined,
        })
      : 2 * rows * config.vocabSize * FLOAT;
  const layers = config.layerTypes.length;
  // The loss takes the head's gradients in the forward pass: after every layer's activations, or,
  // recomputing, after their inputs alone and before any layer runs again.
  return use.recompute === 'blocks'
    ? layers * rows * embDim * FLOAT + Math.max(perLayer * 1.5, head)
    : perLayer * layers * 1.5 + head;
}

/** Refuses, with what would fit, a training run the backend cannot hold. */
export function checkOpenTrainingFits(config: DecoderConfig, use: OpenTrainingUse, name: string): void {
  const budget = memoryBudgetBytes();
  if (budget == null) return;
  const bytes = openTrainingBytes(config, use);
  if (bytes <= budget) return;
  const gib = (n: number) => (n / 2 ** 30).toFixed(1);
  const parameters = (countDecoderParameters(config) / 1e6).toFixed(0);
  const lora =
    use.adapterParameters === undefined ? ', or train LoRA updates alone (instruct train --lora-rank)' : '';
  throw new CommandError(
    `${name}: training this ${config.family} model needs about ${gib(bytes)} GiB of tensors ` +
      `(${parameters}M parameters with their gradients and AdamW's moments, and the activations of batch ${use.batchSize} × ${use.tokens}); ` +
      `this backend holds ${gib(budget)} GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), a smaller --batch-size or --context${lora}${remedyText(fittingRemedies(use, (changed) => openTrainingBytes(config, changed), budget))}`,
  );
}

/** Parameters of rank-`rank` LoRA updates on every projection of the blocks: rank × (in + out) each. */
export function openLoRAParameters(config: DecoderConfig, rank: number): number {
  const { embDim, nHeads, nKvGroups, headDim, hiddenDim } = config;
  const query = nHeads * headDim;
  const keyValue = nKvGroups * headDim;
  const perLayer =
    embDim +
    query +
    2 * (embDim + keyValue) +
    (query + embDim) +
    2 * (embDim + hiddenDim) +
    (hiddenDim + embDim);
  return rank * perLayer * config.layerTypes.length;
}

/**
 * `--precision` for the commands that run a loaded model (generate, chat, serve): its weights stored
 * in 16 bits as they load (the model is built in 16 bits, so it never exists whole in float32; a
 * checkpoint with LoRA updates to merge loads in float32 first). The linear layers and embedding tables are then read by kernels that widen
 * each value as they go, so a model takes about half the memory, and generation, which reads every
 * weight once per token, reads half the bytes.
 */
import { type StoragePrecision, storagePrecisions } from '@scratchgpt/tensor';
import type { Flags } from './args.js';

export const weightPrecisionFlags = {
  precision: {
    type: 'string',
    choices: storagePrecisions,
    default: 'f32',
    help: 'store the weights in 16 bits as they load (f16 or bf16, rounded to nearest; norms stay f32): half the memory, faster generation',
  },
} as const satisfies Flags;

/**
 * Stores the model's weights in `precision`: for a model loaded in f32 (updates merged into it);
 * one loaded in `precision` is left as it is.
 */
export async function storeModelWeights(
  model: { storeWeights(precision: StoragePrecision): Promise<void> },
  precision: StoragePrecision,
): Promise<void> {
  if (precision !== 'f32') await model.storeWeights(precision);
}

/**
 * `--precision` for the commands that run a loaded model (generate, chat, serve): its weights stored
 * in 16 bits once loaded. The linear layers and embedding tables are then read by kernels that widen
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
    help: 'store the weights in 16 bits once loaded (f16 or bf16, rounded to nearest; norms stay f32): half the memory, faster generation',
  },
} as const satisfies Flags;

/** Stores the model's weights in `precision` (nothing to do for f32, the loaders' precision). */
export async function storeModelWeights(
  model: { storeWeights(precision: StoragePrecision): Promise<void> },
  precision: StoragePrecision,
): Promise<void> {
  if (precision !== 'f32') await model.storeWeights(precision);
}

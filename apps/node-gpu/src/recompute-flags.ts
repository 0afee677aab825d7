/**
 * `--recompute none|blocks`, read the same way by every training command: with `blocks` each
 * transformer block keeps only its input for the backward pass and runs again there, so training
 * holds one block's activations instead of all of them, for about a third more time and the same
 * gradients, bit for bit. A run records it; a resumed run keeps it.
 */
import { type RecomputeMode, recomputeModes } from '@scratchgpt/tensor';
import type { Flags } from './args.js';

export const recomputeFlags = {
  recompute: {
    type: 'string',
    choices: recomputeModes,
    section: 'Memory',
    defaultText: "none; a resumed run's own",
    help: "blocks: recompute each block's activations in the backward pass instead of keeping them (less memory, more time, the same gradients)",
  },
} as const satisfies Flags;

/** A manifest's `run.recompute`; a run written before it existed kept every activation. */
export function parseRecompute(value: unknown, fail: (problem: string) => never): RecomputeMode {
  if (value === undefined) return 'none';
  if (value === 'none' || value === 'blocks') return value;
  return fail(`"run.recompute" must be "none" or "blocks"`);
}

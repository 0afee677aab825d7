/**
 * `--precision`, the one flag every training command takes for mixed precision: the products of each
 * step in f16 or bf16 (as PyTorch's autocast; f16 with dynamic loss scaling), or f32. Weights that
 * train, AdamW's moments and the checkpoints stay float32; with `--lora-rank` the frozen base is
 * stored in the 16-bit precision too (`frozen-base.ts`). A run records its precision and resumes in it.
 */
import type { AutocastPrecision } from '@scratchgpt/tensor';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import type { Flags } from './args.js';
import { UsageError } from './errors.js';

export const trainingPrecisionFlag = {
  precision: {
    type: 'string',
    choices: ['f32', 'f16', 'bf16'],
    defaultText: 'f32',
    help: "the products' precision in training (f16 with loss scaling); weights stay f32, but with --lora-rank the frozen base is stored in f16 or bf16 (half its memory)",
  },
} as const satisfies Flags;

/** The precision a resumed run trains in: its own (a state saved before `--precision` is f32). */
export function savedPrecision(resume: TrainingSnapshot): AutocastPrecision {
  return resume.state.settings.precision ?? 'f32';
}

/** A resumed run keeps its precision: another is refused, naming the run's. */
export function checkResumedPrecision(
  given: AutocastPrecision | undefined,
  resume: TrainingSnapshot,
  command: string,
): void {
  const saved = savedPrecision(resume);
  if (given === undefined || given === saved) return;
  throw new UsageError(
    `${command}: --precision ${given} differs from the run, which trains in ${saved}; a resumed run keeps it: leave --precision out`,
  );
}

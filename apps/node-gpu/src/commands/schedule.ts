/**
 * What `train`, `classify train` and `instruct train` share: the flags of a training schedule, read and checked the same
 * way, and Ctrl-C that stops a run after the step in progress (it then saves), twice to quit at once.
 */

import type { TrainingSnapshot } from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, type Values } from '../args.js';
import { UsageError } from '../errors.js';
import type { TrainReporter } from './train-reporter.js';

export const scheduleFlags = {
  epochs: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  'warmup-steps': { type: 'string' },
  'min-lr': { type: 'string' },
  'grad-clip': { type: 'string' },
  'grad-accum': { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-batches': { type: 'string' },
  'checkpoint-every': { type: 'string' },
} as const satisfies FlagSpec;

const MAX_LR = 1;
/** Far more micro-batches per step than any run needs, and few enough that counts stay small. */
const MAX_GRAD_ACCUM = 65_536;

export function readSchedule(values: Values, command: string) {
  const epochs = numberFlag(values, 'epochs', { integer: true, min: 1 });
  const steps = numberFlag(values, 'steps', { integer: true, min: 1 });
  if (epochs !== undefined && steps !== undefined)
    throw new UsageError(`${command}: give --epochs or --steps, not both`);
  const options = {
    // AdamW moves each weight by about the rate every step: above 1, a run can only diverge.
    lr: numberFlag(values, 'lr', { min: 0, exclusiveMin: true, max: MAX_LR }),
    weightDecay: numberFlag(values, 'weight-decay', { min: 0 }),
    warmupSteps: numberFlag(values, 'warmup-steps', { integer: true, min: 0 }),
    minLr: numberFlag(values, 'min-lr', { min: 0, max: MAX_LR }),
    gradClip: numberFlag(values, 'grad-clip', { min: 0, exclusiveMin: true }),
    gradAccum: numberFlag(values, 'grad-accum', { integer: true, min: 1, max: MAX_GRAD_ACCUM }),
    evalEvery: numberFlag(values, 'eval-every', { integer: true, min: 0 }),
    evalBatches: numberFlag(values, 'eval-batches', { integer: true, min: 1 }) ?? 5,
    checkpointEvery: numberFlag(values, 'checkpoint-every', { integer: true, min: 1 }),
  };
  return { epochs, steps, options };
}

/**
 * A resumed run keeps its micro-batches per step (its steps would otherwise read other batches): another
 * --grad-accum is refused here, before the backend starts, naming the run's.
 */
export function checkResumedGradAccum(
  gradAccum: number | undefined,
  resume: TrainingSnapshot | undefined,
  command: string,
  directory: string,
): void {
  const saved = resume?.state.settings.gradAccum;
  if (gradAccum === undefined || saved === undefined || gradAccum === saved) return;
  throw new UsageError(
    `${command}: --grad-accum ${gradAccum} differs from the run in ${directory}, which was trained with --grad-accum ${saved}; a resumed run keeps it: leave --grad-accum out`,
  );
}

/**
 * A SIGINT this soon after the first is the same Ctrl-C: run through `pnpm exec`, the process gets the
 * terminal's signal and then the one pnpm forwards, and quitting on that one would lose the save.
 */
const SAME_CTRL_C_MS = 1000;

/** Aborts `signal` on the first Ctrl-C and quits on a later one; `release()` when the run is over. */
export function stopOnInterrupt(
  reporter: TrainReporter,
  also?: AbortSignal,
): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  let firstAt: number | undefined;
  const onInterrupt = () => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      controller.abort();
      reporter.log('Stopping after this step and saving… (Ctrl-C again to quit at once)');
    } else if (performance.now() - firstAt >= SAME_CTRL_C_MS) {
      process.exit(130);
    }
  };
  process.on('SIGINT', onInterrupt);
  // A time limit (the demo's) may run out while the data and model are prepared: it stops at step 1.
  if (also?.aborted) controller.abort();
  also?.addEventListener('abort', () => controller.abort(), { once: true });
  return { signal: controller.signal, release: () => process.off('SIGINT', onInterrupt) };
}

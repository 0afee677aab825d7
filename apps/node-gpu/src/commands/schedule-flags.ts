/**
 * The training loop's flags, shared by `train` and `instruct train`: how long, the optimizer and its
 * schedule, evaluation, samples and checkpoints.
 */
import { type FlagSpec, numberFlag, type Values } from '../args.js';
import { UsageError } from '../errors.js';

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
  'sample-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
} as const satisfies FlagSpec;

/** The flags as the loop's options (undefined where not given; --eval-batches defaults to 5). */
export function readSchedule(values: Values, command: string) {
  const epochs = numberFlag(values, 'epochs', { integer: true, min: 1 });
  const steps = numberFlag(values, 'steps', { integer: true, min: 1 });
  if (epochs !== undefined && steps !== undefined)
    throw new UsageError(`${command}: give --epochs or --steps, not both`);
  const options = {
    lr: numberFlag(values, 'lr', { min: 0, exclusiveMin: true }),
    weightDecay: numberFlag(values, 'weight-decay', { min: 0 }),
    warmupSteps: numberFlag(values, 'warmup-steps', { integer: true, min: 0 }),
    minLr: numberFlag(values, 'min-lr', { min: 0 }),
    gradClip: numberFlag(values, 'grad-clip', { min: 0, exclusiveMin: true }),
    gradAccum: numberFlag(values, 'grad-accum', { integer: true, min: 1 }),
    evalEvery: numberFlag(values, 'eval-every', { integer: true, min: 0 }),
    evalBatches: numberFlag(values, 'eval-batches', { integer: true, min: 1 }) ?? 5,
    sampleEvery: numberFlag(values, 'sample-every', { integer: true, min: 1 }),
    checkpointEvery: numberFlag(values, 'checkpoint-every', { integer: true, min: 1 }),
  };
  return { epochs, steps, options };
}

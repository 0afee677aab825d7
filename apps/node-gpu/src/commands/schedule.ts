/**
 * What `train`, `classify train` and `instruct train` share: the flags of a training schedule, read and checked the same
 * way, and Ctrl-C that stops a run after the step in progress (it then saves), twice to quit at once.
 */

import type { TrainingSnapshot } from '@scratchgpt/trainer';
import type { Flags, FlagValues } from '../args.js';
import { UsageError } from '../errors.js';
import { checkResumedPrecision, trainingPrecisionFlag } from '../training-precision-flag.js';
import type { TrainReporter } from './train-reporter.js';

/** AdamW moves each weight by about the rate every step: above 1, a run can only diverge. */
const MAX_LR = 1;
/** Far more micro-batches per step than any run needs, and few enough that counts stay small. */
const MAX_GRAD_ACCUM = 65_536;

/**
 * The schedule's flags, with the defaults of the command that takes them (a new run's: a resumed one
 * keeps its own), under the help's headings "Schedule" and "Evaluation, samples, checkpoints".
 */
export function scheduleFlags(defaults: {
  epochs: string;
  lr: string;
  evalEvery: string;
  weightDecay?: string;
}) {
  return {
    epochs: {
      type: 'integer',
      value: 'E',
      min: 1,
      section: 'Schedule',
      defaultText: defaults.epochs,
      help: 'how long to train, in passes over the training data; on resume, the new total',
    },
    steps: {
      type: 'integer',
      value: 'S',
      min: 1,
      help: 'how long to train, in optimizer steps, instead of --epochs; on resume, the new total',
    },
    lr: {
      type: 'number',
      value: 'X',
      min: 0,
      exclusiveMin: true,
      max: MAX_LR,
      defaultText: defaults.lr,
      help: 'peak learning rate of AdamW',
    },
    'weight-decay': {
      type: 'number',
      value: 'X',
      min: 0,
      defaultText: defaults.weightDecay ?? '0.1',
      help: "AdamW's decoupled weight decay",
    },
    'warmup-steps': {
      type: 'integer',
      value: 'N',
      min: 0,
      defaultText: 'none',
      help: 'linear warmup over N steps, then cosine decay to --min-lr',
    },
    'min-lr': {
      type: 'number',
      value: 'X',
      min: 0,
      max: MAX_LR,
      defaultText: '0 with warmup',
      help: 'the rate the cosine decays to',
    },
    'grad-clip': {
      type: 'number',
      value: 'X',
      min: 0,
      exclusiveMin: true,
      defaultText: 'off',
      help: 'clip the global gradient norm to X from the end of warmup on',
    },
    'grad-accum': {
      type: 'integer',
      value: 'K',
      min: 1,
      max: MAX_GRAD_ACCUM,
      defaultText: '1',
      help: 'micro-batches per optimizer step',
    },
    ...trainingPrecisionFlag,
    'eval-every': {
      type: 'integer',
      value: 'N',
      min: 0,
      section: 'Evaluation, samples, checkpoints (steps count from 1)',
      defaultText: defaults.evalEvery,
      help: "evaluate after step 1 and then every N steps (1, 1+N, 1+2N, …: the book's schedule) and after the last step; 0: only after the last",
    },
    'eval-batches': {
      type: 'integer',
      value: 'N',
      min: 1,
      default: 5,
      help: 'batches of each split an evaluation reads',
    },
    'checkpoint-every': {
      type: 'integer',
      value: 'N',
      min: 1,
      help: 'also save every N steps (always saved at the end and on Ctrl-C)',
    },
  } as const satisfies Flags;
}

export function readSchedule(values: FlagValues<ReturnType<typeof scheduleFlags>>, command: string) {
  const { epochs, steps } = values;
  if (epochs !== undefined && steps !== undefined)
    throw new UsageError(`${command}: give --epochs or --steps, not both`);
  const options = {
    lr: values.lr,
    weightDecay: values['weight-decay'],
    warmupSteps: values['warmup-steps'],
    minLr: values['min-lr'],
    gradClip: values['grad-clip'],
    gradAccum: values['grad-accum'],
    evalEvery: values['eval-every'],
    evalBatches: values['eval-batches'],
    checkpointEvery: values['checkpoint-every'],
    precision: values.precision,
  };
  return { epochs, steps, options };
}

/**
 * A resumed run keeps its micro-batches per step (its steps would otherwise read other batches) and its
 * precision: another --grad-accum or --precision is refused here, before the backend starts, naming
 * the run's.
 */
export function checkResumedSchedule(
  options: ReturnType<typeof readSchedule>['options'],
  resume: TrainingSnapshot | undefined,
  command: string,
  directory: string,
): void {
  checkResumedGradAccum(options.gradAccum, resume, command, directory);
  if (resume) checkResumedPrecision(options.precision, resume, command);
}

function checkResumedGradAccum(
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

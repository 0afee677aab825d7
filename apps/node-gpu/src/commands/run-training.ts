/**
 * A training loop run for a command (`train`, `instruct train`, `classify train`): Ctrl-C asks the
 * loop to stop after the step in progress and save (a second Ctrl-C quits at once), each save writes
 * the run directory and its loss plot, events go to the reporter, and a loss that stops being finite
 * is one line that says where the run can continue from.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import {
  NonFiniteLossError,
  NonFiniteWeightsError,
  type TrainEvent,
  type TrainingSnapshot,
  TrainingStateError,
} from '@scratchgpt/trainer';
import { CommandError } from '../errors.js';
import { lossPlotSvg } from '../loss-plot.js';
import { LOSS_PLOT_FILE, MANIFEST_FILE } from '../run-directory.js';
import { type readSchedule, stopOnInterrupt } from './schedule.js';
import type { TrainReporter } from './train-reporter.js';

type EvalEvent = Extract<TrainEvent, { event: 'eval' }>;

export interface RunTrainingOptions {
  /** The run directory. */
  out: string;
  reporter: TrainReporter;
  /** A resumed run's step: its last checkpoint until the next save. */
  savedStep?: number;
  /** Writes the snapshot into the run directory; returns where. */
  save(snapshot: TrainingSnapshot): Promise<string>;
  /** The loop's events, given the signal and the save it must use. */
  events(controls: {
    signal: AbortSignal;
    saveCheckpoint: (snapshot: TrainingSnapshot) => Promise<string>;
  }): AsyncIterable<TrainEvent>;
  /** Stops the run as Ctrl-C does. */
  signal?: AbortSignal;
  /** Reports an evaluation in the reporter's place (a classifier adds its accuracies). */
  reportEval?(event: EvalEvent): Promise<void>;
}

/** Runs the loop to its end; returns why it ended (`aborted`: Ctrl-C or the signal). */
export async function runTraining(options: RunTrainingOptions): Promise<'completed' | 'aborted'> {
  const { out, reporter } = options;
  const interrupt = stopOnInterrupt(reporter, options.signal);
  let savedStep = options.savedStep;
  const saveCheckpoint = async (snapshot: TrainingSnapshot) => {
    const saved = await options.save(snapshot);
    savedStep = snapshot.state.step;
    await writePlot(out, snapshot, reporter);
    return saved;
  };
  let reason: 'completed' | 'aborted' = 'aborted';
  try {
    for await (const event of options.events({ signal: interrupt.signal, saveCheckpoint })) {
      if (event.event === 'eval' && options.reportEval) await options.reportEval(event);
      else reporter.report(event);
      if (event.event === 'done') reason = event.reason;
    }
  } catch (error) {
    reporter.done();
    if (error instanceof TrainingStateError) throw new CommandError(error.message);
    throw explainDivergence(error, out, savedStep);
  } finally {
    interrupt.release();
  }
  return reason;
}

/**
 * The trainer's options from a command's schedule flags: those given, and for a new run the command's
 * defaults for the rest (a resumed run keeps its own settings where no flag changes them).
 */
export function scheduleOptions(
  { epochs, steps, options }: ReturnType<typeof readSchedule>,
  resume: TrainingSnapshot | undefined,
  defaults: { epochs: number; evalEvery: number; lr?: number; weightDecay?: number },
) {
  if (resume) {
    return { ...definedOnly({ ...options, epochs, maxSteps: steps }), resume };
  }
  return definedOnly({
    ...options,
    lr: options.lr ?? defaults.lr,
    weightDecay: options.weightDecay ?? defaults.weightDecay,
    evalEvery: options.evalEvery ?? defaults.evalEvery,
    epochs: epochs ?? (steps ? undefined : defaults.epochs),
    maxSteps: steps,
  });
}

function definedOnly<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as never;
}

/** The loss plot is a picture: failing to draw it never costs the run, only a warning. */
async function writePlot(out: string, snapshot: TrainingSnapshot, reporter: TrainReporter): Promise<void> {
  try {
    const { steps, evals } = snapshot.state.history;
    await writeFileAtomic(join(out, LOSS_PLOT_FILE), lossPlotSvg(steps, evals));
  } catch (error) {
    reporter.log(
      `warning: could not draw ${LOSS_PLOT_FILE} (${(error as Error).message}); the checkpoint is saved`,
    );
  }
}

/**
 * A run that diverged (a loss, weight or optimizer moment that stopped being finite) as one line that
 * says where it can continue from, only what is true of the directory; any other error as it is.
 */
function explainDivergence(error: unknown, out: string, savedStep: number | undefined): unknown {
  let what: string;
  if (error instanceof NonFiniteLossError) {
    what = `The loss became ${error.loss} at step ${error.step} (learning rate ${error.lr.toPrecision(3)}); that step's update was not applied.`;
  } else if (error instanceof NonFiniteWeightsError) {
    what = `'${error.tensor}' became non-finite at step ${error.step} (learning rate ${error.lr.toPrecision(3)}); that step was not saved.`;
  } else {
    return error;
  }
  if (savedStep === undefined) {
    return new CommandError(
      `${what} No checkpoint was saved before it (--checkpoint-every N saves along the way): start again with a lower --lr, or with --grad-clip 1.`,
    );
  }
  return new CommandError(
    `${what} The last checkpoint is step ${savedStep} in ${out} (${MANIFEST_FILE}): resume from it with --model ${out} and a lower --lr, or with --grad-clip 1.`,
  );
}

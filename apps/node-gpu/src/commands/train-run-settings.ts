/**
 * What `train` does the same way for every model (GPT-2 and the open families): the run settings
 * asked for, a new run's defaults, which runs it resumes, the flags a resumed run keeps, and the loop.
 */
import { join } from 'node:path';
import type { TextBatches } from '@scratchgpt/data-loader';
import type { RecomputeMode } from '@scratchgpt/tensor';
import { type LanguageModel, type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import { stringFlag } from '../args.js';
import { defaultDataPath } from '../data.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { cleanRunDirectory, type DirectoryContents, inspectDirectory } from '../run-directory.js';
import { checkResumeFlags, type ResumeTable } from '../run-flags.js';
import type { PretrainManifest, RunManifest, RunSettings } from '../run-manifest.js';
import type { CommandContext } from './context.js';
import { runTraining, scheduleOptions } from './run-training.js';
import type { readSchedule } from './schedule.js';
import type { TrainValues } from './train.js';
import { TrainReporter } from './train-reporter.js';

/** `--model DIR` resolved: the directory and what it holds. */
export interface ModelSource {
  directory: string;
  contents: DirectoryContents;
}

/** The run settings the flags give (undefined: not given). */
export interface RequestedRunSettings {
  data: string | undefined;
  valRatio: number | undefined;
  context: number | undefined;
  batchSize: number | undefined;
  shuffle: boolean | undefined;
  seed: number | undefined;
  recompute: RecomputeMode | undefined;
}

export function requestedRunSettings(values: TrainValues, context: CommandContext): RequestedRunSettings {
  return {
    data: stringFlag(values, 'data'),
    valRatio: values['val-ratio'],
    context: values.context,
    batchSize: values['batch-size'],
    shuffle: values['no-shuffle'] === true ? false : undefined,
    seed: context.seedGiven ? context.seed : undefined,
    recompute: values.recompute,
  };
}

export function newRunSettings(
  requested: RequestedRunSettings,
  context: CommandContext,
  contextLength: number,
): RunSettings {
  return {
    data: requested.data ?? defaultDataPath(),
    valRatio: requested.valRatio ?? 0.1,
    context: contextLength,
    batchSize: requested.batchSize ?? 2,
    shuffle: requested.shuffle ?? true,
    seed: context.seed,
    recompute: requested.recompute ?? 'none',
  };
}

/** A run `train` resumes: a pretraining run; any other is refused with the command that resumes it. */
export function pretrainManifestOf(manifest: RunManifest, directory: string): PretrainManifest {
  if (manifest.task === 'classify') {
    throw new UsageError(
      `train: ${directory} is a classifier run: resume it with 'scratchgpt classify train --model ${directory}'`,
    );
  }
  if (manifest.task === 'instruct' || manifest.task === 'dpo') {
    const [kind, command] =
      manifest.task === 'dpo' ? ['a DPO', 'instruct dpo'] : ['an instruction-tuning', 'instruct train'];
    throw new UsageError(
      `train: ${directory} is ${kind} run: resume it with 'scratchgpt ${command} --model ${directory}'`,
    );
  }
  return manifest;
}

/** Refuses flags that would change a resumed run's batches. */
export function checkPretrainResumeFlags(
  requested: RequestedRunSettings,
  directory: string,
  manifest: PretrainManifest,
): void {
  const given = {
    '--data': requested.data,
    '--val-ratio': requested.valRatio,
    '--context': requested.context,
    '--batch-size': requested.batchSize,
    '--no-shuffle': requested.shuffle,
    '--seed': requested.seed,
    '--recompute': requested.recompute,
  };
  checkResumeFlags(resumeFlags, given, directory, manifest);
}

/** A resumed run sees the same batches: flags that would change them must agree with the run's. */
const resumeFlags: ResumeTable<PretrainManifest> = {
  command: 'train',
  flags: {
    '--data': (manifest) => manifest.run.data,
    '--val-ratio': (manifest) => manifest.run.valRatio,
    '--context': (manifest) => manifest.run.context,
    '--batch-size': (manifest) => manifest.run.batchSize,
    '--no-shuffle': (manifest) => manifest.run.shuffle,
    '--seed': (manifest) => manifest.run.seed,
    '--recompute': (manifest) => manifest.run.recompute,
  },
  differs: (flag, given, saved, { directory, manifest }) => {
    const shuffle = flag === '--no-shuffle';
    const had = shuffle ? (saved ? 'shuffled windows' : 'windows in order') : `${flag} ${saved}`;
    return (
      `${flag} ${shuffle ? '' : `${given} `}differs from the run in ${directory}, which was trained with ${had}; ` +
      `a resumed run keeps it: leave ${flag} out, or start a new run from its weights with --model ${join(directory, manifest.checkpoint)} --out NEW_DIR`
    );
  },
};

/** The line for a text too short for the batches asked of it. */
export function tooFewTokensLine(
  error: { part: 'training' | 'validation'; tokens: number; needed: number },
  run: RunSettings,
): string {
  return (
    `${run.data}: the ${error.part} part has ${error.tokens} tokens, too few for ` +
    `${error.part === 'training' ? `one batch of ${run.batchSize} windows of ${run.context}` : `one window of ${run.context}`}` +
    ` (${error.needed} tokens): use more text, a smaller --context or --batch-size` +
    `${error.part === 'validation' ? ', or a larger --val-ratio (0 for none)' : ''}`
  );
}

export interface PretrainingLoop {
  output: Output;
  out: string;
  model: LanguageModel;
  /** What the first line says the run does (`training into DIR`) when it does not resume. */
  what: string;
  data: TextBatches;
  run: RunSettings;
  resume: TrainingSnapshot | undefined;
  schedule: ReturnType<typeof readSchedule>;
  sampleEvery: number | undefined;
  sample: () => Promise<string>;
  save: (snapshot: TrainingSnapshot) => Promise<string>;
  signal: AbortSignal | undefined;
}

/** Says what trains on what, tidies the run directory, and runs `train`'s loop to its end. */
export async function runPretraining(loop: PretrainingLoop): Promise<void> {
  const { output, out, model, data, run, resume } = loop;
  output.note(
    `${resume ? `resuming ${out} at step ${resume.state.step}` : loop.what}: ` +
      `${model.numParameters().toLocaleString('en-US')} parameters; ${data.trainTokens.toLocaleString('en-US')} training tokens ` +
      `(${data.train.length} batches of ${run.batchSize}×${run.context}), ${data.validationTokens.toLocaleString('en-US')} validation tokens`,
  );
  const existing = await inspectDirectory(out, '--out');
  const removed = await cleanRunDirectory(out, existing.kind === 'run' ? existing.manifest : undefined);
  if (removed.length > 0)
    output.note(`removed what an interrupted save left in ${out}: ${removed.join(', ')}`);
  await runTraining({
    out,
    reporter: new TrainReporter(output),
    ...(resume ? { savedStep: resume.state.step } : {}),
    ...(loop.signal ? { signal: loop.signal } : {}),
    save: loop.save,
    events: ({ signal, saveCheckpoint }) =>
      trainModel({
        model,
        train: data.train,
        ...(data.validation ? { validation: data.validation } : {}),
        ...scheduleOptions(loop.schedule, resume, { epochs: 10, evalEvery: 5 }),
        ...(loop.sampleEvery ? { sampleEvery: loop.sampleEvery } : {}),
        sample: loop.sample,
        saveCheckpoint,
        signal,
      }),
  });
}

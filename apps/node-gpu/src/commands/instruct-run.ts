/**
 * What `instruct train` and `instruct dpo` share in planning a run: the model and the flags read the
 * same way, a new run's batching settings, the flags a resumed run keeps, and the checks of the
 * book's split. Each command adds its own settings on top.
 */
import type { GPTConfig } from '@scratchgpt/gpt-model';
import type { LoRASettings } from '@scratchgpt/lora';
import type { RecomputeMode } from '@scratchgpt/tensor';
import { type FlagValues, stringFlag } from '../args.js';
import { CommandError, UsageError } from '../errors.js';
import { instructionModel } from '../instruct-data.js';
import type { instructBatchFlags } from '../instruct-flags.js';
import type { InstructRunSettings } from '../instruct-settings.js';
import { checkLoRARank, type loraFlags, readLoRAFlags } from '../lora-flags.js';
import { windowLength } from '../model-config.js';
import { isHubModel, resolveModelSource } from '../model-source.js';
import type { Output } from '../output.js';
import { outputPathFlag } from '../output-file.js';
import type { recomputeFlags } from '../recompute-flags.js';
import {
  checkNewRunDirectory,
  cleanRunDirectory,
  type DirectoryContents,
  inspectDirectory,
} from '../run-directory.js';
import type { ResumeRule } from '../run-flags.js';
import type { RunSettings } from '../run-manifest.js';
import type { CommandContext } from './context.js';

export type StartValues = FlagValues<typeof instructBatchFlags> &
  FlagValues<ReturnType<typeof loraFlags>> &
  FlagValues<typeof recomputeFlags> & {
    model: string;
    out?: string | undefined;
    data?: string | undefined;
    format?: string | undefined;
  };

/** The model a command starts from or resumes, and the flags that set a run's batches. */
export interface InstructStart {
  modelArg: string;
  modelDir: string;
  /** --out, when given. */
  out: string | undefined;
  contents: DirectoryContents;
  config: GPTConfig;
  requestedFormat: string | undefined;
  lora: LoRASettings | undefined;
  requested: {
    data: string | undefined;
    context: number | undefined;
    batchSize: number | undefined;
    shuffle: false | undefined;
    seed: number | undefined;
    recompute: RecomputeMode | undefined;
  };
}

/**
 * The directory `--model` names (a Hub id downloaded first: --out is then required, as the cache is
 * never written to).
 */
export async function instructModelDirectory(
  values: Pick<StartValues, 'model' | 'out'>,
  context: CommandContext,
  command: string,
): Promise<string> {
  const modelArg = values.model;
  if (outputPathFlag(values, 'out') === undefined && isHubModel(modelArg)) {
    throw new UsageError(
      `${command}: --out DIR is required with --model ${modelArg}: the Hugging Face cache is never written to`,
    );
  }
  return resolveModelSource(modelArg, context);
}

/** The start of a GPT's run; `modelDir` is `--model` resolved ({@link instructModelDirectory}). */
export async function readInstructStart(
  values: StartValues,
  context: CommandContext,
  command: string,
  modelDir?: string,
): Promise<InstructStart> {
  const modelArg = values.model;
  const out = outputPathFlag(values, 'out');
  modelDir ??= await instructModelDirectory(values, context, command);
  const requestedFormat = stringFlag(values, 'format');
  const { contents, config } = await instructionModel(modelDir, requestedFormat);
  const lora = readLoRAFlags(values);
  checkLoRARank(lora, config);
  return {
    modelArg,
    modelDir,
    out,
    contents,
    config,
    requestedFormat,
    lora,
    requested: requestedBatching(values, context),
  };
}

/** The batching flags as given (undefined: not given). */
export function requestedBatching(values: StartValues, context: CommandContext): InstructStart['requested'] {
  return {
    data: stringFlag(values, 'data'),
    context: values.context,
    batchSize: values['batch-size'],
    shuffle: values['no-shuffle'] === true ? (false as const) : undefined,
    seed: context.seedGiven ? context.seed : undefined,
    recompute: values.recompute,
  };
}

/** Where a resumed run writes: its own directory, or a new one that holds no run yet. */
export async function resumeTarget({
  out,
  modelDir,
}: Pick<InstructStart, 'out' | 'modelDir'>): Promise<string> {
  const target = out ?? modelDir;
  if (target !== modelDir) await checkNewRunDirectory(target);
  return target;
}

/** Where a new run writes: --out, which must be given, be another directory and hold no run. */
export async function newRunTarget(
  { out, modelDir, modelArg }: Pick<InstructStart, 'out' | 'modelDir' | 'modelArg'>,
  command: string,
): Promise<string> {
  if (out === undefined || out === modelDir) {
    throw new UsageError(
      `${command}: give --out DIR for the new run (--model ${modelArg} is the model it starts from)`,
    );
  }
  await checkNewRunDirectory(out);
  return out;
}

/** A new run's batching: the flags given, else the book's (batch 8, shuffled, 5% for validation). */
export function newRunSettings(
  { requested, config }: InstructStart,
  context: CommandContext,
  defaultData: () => string,
): RunSettings {
  return instructRunSettings(requested, context, defaultData, windowLength(config, requested.context));
}

/** {@link newRunSettings} for any model: `contextLength` is the longest batch it allows. */
export function instructRunSettings(
  requested: InstructStart['requested'],
  context: CommandContext,
  defaultData: () => string,
  contextLength: number,
): RunSettings {
  return {
    data: requested.data ?? defaultData(),
    valRatio: 0.05,
    context: contextLength,
    batchSize: requested.batchSize ?? 8,
    shuffle: requested.shuffle ?? true,
    seed: context.seed,
    recompute: requested.recompute ?? 'none',
  };
}

/** The flags both commands keep on resume, as given (undefined: not given). */
export function sharedResumeGiven({
  requested,
  requestedFormat,
  lora,
}: Pick<InstructStart, 'requested' | 'requestedFormat' | 'lora'>) {
  return {
    '--data': requested.data,
    '--context': requested.context,
    '--batch-size': requested.batchSize,
    '--no-shuffle': requested.shuffle,
    '--seed': requested.seed,
    '--recompute': requested.recompute,
    '--format': requestedFormat,
    '--lora-rank': lora?.rank,
    '--lora-alpha': lora?.alpha,
    '--lora-scaling': lora?.scaling,
  };
}

type InstructionRun = { run: RunSettings; instruct: InstructRunSettings };

/** Their rules: a resumed run sees the same batches, prompted the same way, and trains the same updates. */
export function sharedResumeRules<M extends InstructionRun>(): Record<string, ResumeRule<M>> {
  return {
    '--data': (manifest) => manifest.run.data,
    '--context': (manifest) => manifest.run.context,
    '--batch-size': (manifest) => manifest.run.batchSize,
    '--no-shuffle': (manifest) => manifest.run.shuffle,
    '--seed': (manifest) => manifest.run.seed,
    '--recompute': (manifest) => manifest.run.recompute,
    '--format': (manifest) => manifest.instruct.promptFormat,
    '--lora-rank': (manifest) => manifest.instruct.lora?.rank,
    '--lora-alpha': (manifest) => manifest.instruct.lora?.alpha,
    '--lora-scaling': (manifest) => manifest.instruct.lora?.scaling,
  };
}

export function resumeDiffers(
  flag: string,
  _given: unknown,
  saved: unknown,
  { directory }: { directory: string },
) {
  return `${flag} differs from the run in ${directory} (${JSON.stringify(saved)}); a resumed run keeps it: leave ${flag} out, or start a new run from its weights with --out NEW_DIR`;
}

/** The book's split must leave a validation part and a full training batch. */
export function checkSplitSizes(
  run: RunSettings,
  entries: number,
  split: { train: readonly unknown[]; validation: readonly unknown[] },
): void {
  if (split.validation.length === 0) {
    throw new CommandError(
      `--data ${run.data} has ${entries} entries: too few to keep 5% for validation (give at least 20)`,
    );
  }
  if (split.train.length < run.batchSize) {
    throw new CommandError(
      `--data ${run.data}: its ${split.train.length} training entries make no full batch of ${run.batchSize}: use a smaller --batch-size or more data`,
    );
  }
}

/** Removes what an interrupted save left in the run directory, and says so. */
export async function tidyRunDirectory(out: string, output: Output): Promise<void> {
  const existing = await inspectDirectory(out, '--out');
  const removed = await cleanRunDirectory(out, existing.kind === 'run' ? existing.manifest : undefined);
  if (removed.length > 0)
    output.note(`removed what an interrupted save left in ${out}: ${removed.join(', ')}`);
}

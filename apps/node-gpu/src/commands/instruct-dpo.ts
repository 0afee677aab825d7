/**
 * `scratchgpt instruct dpo`: the book's chapter 7 bonus on the command line. An instruction-tuned
 * model (the policy) learns from pairs of answers to prefer the chosen one over the rejected one,
 * measured against a frozen reference: the same starting model loaded a second time, or with
 * --lora-rank, the policy itself with its LoRA updates switched off. The run directory is an
 * instruction model in the starting model's prompt format, and resumes exactly as `instruct train`'s.
 */
import { resolve } from 'node:path';
import type { GPTConfig, GPTModel } from '@scratchgpt/gpt-model';
import {
  dpoObjective,
  type PreferenceEntry,
  type PromptFormat,
  type ReferenceModel,
  splitInstructionData,
} from '@scratchgpt/instruct';
import { applyLoRA, withoutAdapters } from '@scratchgpt/lora';
import { manualSeed } from '@scratchgpt/tensor';
import { type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import type { Flags, FlagValues } from '../args.js';
import type { DpoRunSettings } from '../dpo-settings.js';
import { CommandError } from '../errors.js';
import { frozenBaseNote, frozenBasePrecision, runPrecision, storeFrozenBase } from '../frozen-base.js';
import { chosenFormat, promptFormatNames } from '../instruct-data.js';
import { instructBatchFlags } from '../instruct-flags.js';
import type { InstructRunSettings } from '../instruct-settings.js';
import { loraFlags, loraParameters } from '../lora-flags.js';
import { checkMemory } from '../memory-check.js';
import { windowLength } from '../model-config.js';
import {
  createPreferenceLoader,
  defaultPreferenceDataPath,
  type PreferenceLoader,
  readPreferenceData,
} from '../preference-data.js';
import { recomputeFlags } from '../recompute-flags.js';
import {
  type DirectoryContents,
  inspectDirectory,
  loadModelDirectory,
  loadRun,
  prepareRunDirectory,
  readRunState,
  saveRun,
} from '../run-directory.js';
import { checkResumeFlags, type ResumeTable } from '../run-flags.js';
import type { DpoManifest, RunSettings } from '../run-manifest.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';
import { evaluateSplits, reportPreferenceEval } from './dpo-report.js';
import {
  checkSplitSizes,
  newRunSettings,
  newRunTarget,
  readInstructStart,
  resumeDiffers,
  resumeTarget,
  sharedResumeGiven,
  sharedResumeRules,
  tidyRunDirectory,
} from './instruct-run.js';
import { runTraining, scheduleOptions } from './run-training.js';
import { checkResumedSchedule, readSchedule, scheduleFlags } from './schedule.js';
import { TrainReporter } from './train-reporter.js';

/** The book's β: how strongly the policy is held to the reference. */
const DEFAULT_BETA = 0.1;
/** The book's rate for gpt2-medium: DPO nudges a tuned model, and larger rates soon drift far from it. */
const DEFAULT_LR = 5e-6;
/** The book's DPO optimizer decays less than its instruction tuning (0.1). */
const DEFAULT_WEIGHT_DECAY = 0.01;

const flags = {
  model: {
    type: 'string',
    value: 'DIR|ID',
    required: true,
    help: "the instruction-tuned model to start from (an 'instruct train' run, a checkpoint or a Hugging Face Hub id), or a DPO run to resume exactly (then --out defaults to it)",
  },
  out: { type: 'string', value: 'DIR', help: 'where the new run is written' },
  data: {
    type: 'string',
    value: 'FILE',
    defaultText: 'the bundled 1,100 entries of the book with chosen and rejected answers',
    help: 'a JSON array or JSON lines of {instruction, input, chosen, rejected}',
  },
  format: {
    type: 'string',
    choices: promptFormatNames,
    defaultText: "the instruction run's, else alpaca",
    help: 'the prompt format',
  },
  beta: {
    type: 'number',
    value: 'B',
    min: 0,
    exclusiveMin: true,
    max: 1000,
    defaultText: "0.1, the book's",
    help: 'how strongly the policy is held to the reference: larger stays closer to it',
  },
  ...instructBatchFlags,
  ...scheduleFlags({ epochs: '1', lr: '5e-6', evalEvery: '5', weightDecay: "0.01, the book's for DPO" }),
  ...loraFlags(
    'freeze the model, train rank-R updates of every Linear of the blocks; the reference is then the same model with its updates off (no second copy of the weights), and checkpoints keep adapter.safetensors beside the weights',
  ),
  ...recomputeFlags,
} as const satisfies Flags;

type InstructDpoValues = FlagValues<typeof flags>;

export const instructDpo = defineCommand({
  summary: 'preference-tune an instruction model (DPO), or resume a run',
  usage: ['scratchgpt instruct dpo --model DIR|ID --out DIR [--data FILE] [--beta B] [options]'],
  description: `Direct Preference Optimization (the book's chapter 7 bonus): the model learns to raise the
chosen answer's log-probability, relative to a frozen reference copy of itself, above the rejected
one's. The entries split in file order as for 'instruct train'; it trains on the 85% and evaluates
on the 5%. The run keeps the starting model's prompt format: 'instruct respond' and 'chat' take it.`,
  flags,
  notes: `--lr defaults to 5e-6, the book's rate for gpt2-medium: DPO only nudges a tuned model, and larger
rates soon move it far from the reference. Small models, and LoRA updates, take larger rates.
Each evaluation reports the DPO loss and the rewards β·(log-probability − the reference's) of
both splits: the reward margin (chosen − rejected) and the accuracy (how often chosen wins).
Step 0 is the model before any step: margin 0, loss ln 2.
With --json: the events of train; an eval adds "train" and "validation":
{"chosen","rejected","margin","accuracy","pairs"}.`,
  run: (values, context) => runInstructDpo(values, context),
});

/** What the command line asks for, checked before any backend starts. */
interface DpoPlan {
  out: string;
  from: { directory: string; contents: DirectoryContents };
  resume?: TrainingSnapshot;
  config: GPTConfig;
  run: RunSettings;
  instruct: InstructRunSettings;
  dpo: DpoRunSettings;
  format: PromptFormat;
}

async function runInstructDpo(values: InstructDpoValues, context: CommandContext): Promise<number> {
  const { output } = context;
  const schedule = readSchedule(values, 'instruct dpo');
  const plan = await planDpoRun(values, context);
  const { out, run, config, format, dpo } = plan;
  checkResumedSchedule(schedule.options, plan.resume, 'instruct dpo', out);
  const data = await loadersOf(plan);
  await prepareRunDirectory(out);

  // Only now, with every argument, file and the data checked: the backend, then the models.
  await context.startBackend();
  const { lora } = plan.instruct;
  const baseWeights = frozenBasePrecision(lora, runPrecision(schedule.options.precision, plan.resume));
  checkMemory(config, {
    // Each pair is two rows: the chosen and the rejected answer.
    batchSize: 2 * run.batchSize,
    tokens: run.context,
    training: true,
    recompute: run.recompute,
    ...(lora ? { adapterParameters: loraParameters(config, lora.rank), baseWeights } : {}),
  });
  // A LoRA run resumes with its updates apart from the frozen weights; any other start merges them.
  const { model } = await loadRun(plan.from.directory, plan.from.contents, plan.resume ? 'keep' : 'merge');
  model.recompute = run.recompute;
  if (lora && !plan.resume) {
    manualSeed(run.seed);
    applyLoRA(model, lora);
  }
  const parameters = model.numParameters();
  // With LoRA the reference is this model with its updates off: the same 16-bit base, no copy.
  await storeFrozenBase(model, baseWeights);
  const reference = await loadReference(plan, model);
  output.note(
    `${plan.resume ? `resuming ${out} at step ${plan.resume.state.step}` : `preference-tuning ${plan.from.directory} into ${out}`}: ` +
      `${parameters.toLocaleString('en-US')} parameters; ${data.train.pairs.toLocaleString('en-US')} training pairs ` +
      `(${data.train.length} batches of ${run.batchSize}), ${data.validation.pairs.toLocaleString('en-US')} validation pairs; ` +
      `${format.name} prompts; beta ${dpo.beta}; ` +
      (lora
        ? `LoRA rank ${lora.rank}, alpha ${lora.alpha}: ${model.numParameters({ trainable: true }).toLocaleString('en-US')} parameters train, the reference is the model without them${frozenBaseNote(baseWeights)}`
        : 'the reference is a frozen copy of the starting model'),
  );
  const leftOut = data.train.leftOut + data.validation.leftOut;
  if (leftOut > 0) {
    output.note(
      `left out ${leftOut} pairs (${data.train.leftOut} training, ${data.validation.leftOut} validation) whose prompt fills the ${run.context} tokens of --context`,
    );
  }
  await tidyRunDirectory(out, output);

  const reporter = new TrainReporter(output);
  const evaluate = () =>
    evaluateSplits({
      policy: model,
      reference,
      ...data,
      beta: dpo.beta,
      maxBatches: schedule.options.evalBatches,
    });
  if (!plan.resume) {
    // Before the first step the policy is the reference: margin 0, loss ln 2.
    const before = await evaluate();
    const losses = { trainLoss: before.train.loss, valLoss: before.validation.loss };
    reportPreferenceEval(output, reporter, 0, losses, before);
  }
  await runTraining({
    out,
    reporter,
    ...(plan.resume ? { savedStep: plan.resume.state.step } : {}),
    save: (snapshot) => saveRun(out, model, snapshot, { task: 'dpo', run, instruct: plan.instruct, dpo }),
    reportEval: async (event) => reportPreferenceEval(output, reporter, event.step, event, await evaluate()),
    events: ({ signal, saveCheckpoint }) =>
      trainModel({
        model,
        train: data.train,
        validation: data.validation,
        objective: dpoObjective({ reference, beta: dpo.beta }),
        ...scheduleOptions(schedule, plan.resume, {
          epochs: 1,
          evalEvery: 5,
          lr: DEFAULT_LR,
          weightDecay: DEFAULT_WEIGHT_DECAY,
        }),
        saveCheckpoint,
        signal,
      }),
  });
  return 0;
}

/** Checks the flags against each other and against the directories. */
async function planDpoRun(values: InstructDpoValues, context: CommandContext): Promise<DpoPlan> {
  const start = await readInstructStart(values, context, 'instruct dpo');
  const { modelDir, contents, config, lora } = start;
  const from = { directory: modelDir, contents };
  if (contents.kind === 'run' && contents.manifest.task === 'dpo') {
    const saved = contents.manifest;
    const target = await resumeTarget(start);
    checkResumeFlags(resumeFlags, { ...sharedResumeGiven(start), '--beta': values.beta }, modelDir, saved);
    windowLength(config, saved.run.context);
    await checkReferenceUnchanged(saved, modelDir);
    return {
      out: target,
      from,
      resume: await readRunState(modelDir, saved),
      config,
      run: saved.run,
      instruct: saved.instruct,
      dpo: saved.dpo,
      format: chosenFormat(saved.instruct.promptFormat, contents),
    };
  }
  // An instruction run or a checkpoint: a new DPO run starts from its weights, in its prompt format.
  const out = await newRunTarget(start, 'instruct dpo');
  const format = chosenFormat(start.requestedFormat, contents);
  const run = newRunSettings(start, context, defaultPreferenceDataPath);
  const instruct: InstructRunSettings = {
    promptFormat: format.name,
    maskPrompt: false,
    bucketByLength: false,
    ...(lora ? { lora } : {}),
  };
  const startStep = contents.kind === 'run' ? { step: contents.manifest.step } : {};
  const dpo: DpoRunSettings = {
    beta: values.beta ?? DEFAULT_BETA,
    // An absolute path: a resumed run may be started from another directory.
    reference: lora ? { kind: 'without-adapters' } : { kind: 'copy', model: resolve(modelDir), ...startStep },
  };
  return { out, from, config, run, instruct, dpo, format };
}

/** A resumed run measures against the model it started from: refused when that model has moved on. */
async function checkReferenceUnchanged(manifest: DpoManifest, directory: string): Promise<void> {
  const { reference } = manifest.dpo;
  if (reference.kind !== 'copy') return;
  const contents = await inspectDirectory(reference.model, '--model');
  const now = contents.kind === 'run' ? contents.manifest.step : undefined;
  if (contents.kind === 'missing' || now !== reference.step) {
    const was = reference.step === undefined ? '' : ` (at step ${reference.step} then)`;
    const state =
      contents.kind === 'missing'
        ? 'is gone'
        : `is now ${now === undefined ? 'not that run' : `at step ${now}`}`;
    throw new CommandError(
      `${directory} measures against ${reference.model}${was}, which ${state}: the run cannot resume against the same reference; start a new run with --model ${directory} --out NEW_DIR`,
    );
  }
}

/** The frozen model the policy is measured against. */
async function loadReference(plan: DpoPlan, policy: GPTModel): Promise<ReferenceModel> {
  const { reference } = plan.dpo;
  if (reference.kind === 'without-adapters') return withoutAdapters(policy);
  // The starting model's weights again, with any LoRA updates of an instruction run merged in.
  const directory = plan.resume ? reference.model : plan.from.directory;
  const { model } = await loadModelDirectory(directory);
  model.setTrainable(false);
  model.eval();
  return model;
}

/** A resumed run sees the same batches and measures the same way. */
const resumeFlags: ResumeTable<DpoManifest> = {
  command: 'instruct dpo',
  flags: { ...sharedResumeRules<DpoManifest>(), '--beta': (manifest) => manifest.dpo.beta },
  differs: resumeDiffers,
};

/** The book's split and loaders: shuffled training batches without the last partial one, validation in order. */
async function loadersOf(plan: DpoPlan): Promise<{ train: PreferenceLoader; validation: PreferenceLoader }> {
  const { run, format } = plan;
  const entries = await readPreferenceData(run.data);
  const split = splitInstructionData(entries);
  checkSplitSizes(run, entries.length, split);
  const common = { batchSize: run.batchSize, allowedMaxLength: run.context };
  const loader = (part: PreferenceEntry[], name: string, training: boolean) =>
    createPreferenceLoader(part, format, {
      ...common,
      shuffle: training && run.shuffle,
      seed: run.seed,
      dropLast: training,
      split: name,
    });
  const train = loader(split.train, 'training', true);
  const validation = loader(split.validation, 'validation', false);
  for (const [name, part] of [
    ['training', train],
    ['validation', validation],
  ] as const) {
    if (part.length === 0) {
      throw new CommandError(
        `--data ${run.data}: ${part.pairs} of its ${name} pairs fit --context ${run.context}, no full batch of ${run.batchSize}: raise --context (at most the model's context length) or use a smaller --batch-size`,
      );
    }
  }
  return { train, validation };
}

/**
 * `scratchgpt instruct train`: the book's chapter 7 on the command line. A model (a checkpoint or a
 * pretraining run) is fine-tuned on instruction data with the training loop's default objective: the
 * collate function's -100 targets keep padding (and, with --mask-prompt, the prompt) out of the loss.
 * The run directory is written as `train` writes it, so it resumes exactly.
 */

import type { GPTConfig } from '@scratchgpt/gpt-model';
import {
  CHAT_TEMPLATE,
  createInstructionLoader,
  InstructionDataError,
  InstructionDataset,
  type InstructionEntry,
  type InstructionLoader,
  type PromptFormat,
  respond,
  splitInstructionData,
} from '@scratchgpt/instruct';
import { applyLoRA } from '@scratchgpt/lora';
import { manualSeed } from '@scratchgpt/tensor';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { evaluateModel, type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import type { Flags, FlagValues } from '../args.js';
import { CommandError } from '../errors.js';
import { frozenBaseNote, frozenBasePrecision, runPrecision, storeFrozenBase } from '../frozen-base.js';
import {
  chosenFormat,
  defaultInstructionDataPath,
  promptFormatNames,
  readInstructionData,
} from '../instruct-data.js';
import { instructBatchFlags } from '../instruct-flags.js';
import type { InstructRunSettings } from '../instruct-settings.js';
import { loraFlags, loraParameters } from '../lora-flags.js';
import { checkMemory } from '../memory-check.js';
import { windowLength } from '../model-config.js';
import { isOpenModelDirectory } from '../open-model-run.js';
import { recomputeFlags } from '../recompute-flags.js';
import {
  type DirectoryContents,
  inspectDirectory,
  loadRun,
  prepareRunDirectory,
  readRunState,
  saveRun,
} from '../run-directory.js';
import { checkResumeFlags, type ResumeTable } from '../run-flags.js';
import type { InstructManifest, RunSettings } from '../run-manifest.js';
import { gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';
import {
  checkSplitSizes,
  instructModelDirectory,
  newRunSettings,
  newRunTarget,
  readInstructStart,
  resumeDiffers,
  resumeTarget,
  sharedResumeGiven,
  sharedResumeRules,
  tidyRunDirectory,
} from './instruct-run.js';
import { instructTrainOpenModel } from './instruct-train-open-model.js';
import { runTraining, scheduleOptions } from './run-training.js';
import { checkResumedSchedule, readSchedule, scheduleFlags } from './schedule.js';
import { TrainReporter } from './train-reporter.js';

const flags = {
  model: {
    type: 'string',
    value: 'DIR|ID',
    required: true,
    help: "the model to fine-tune (a checkpoint, a pretraining run, or a Hugging Face Hub id: gpt2-medium is the book's), or an instruction-tuning run to resume exactly (then --out defaults to it)",
  },
  out: { type: 'string', value: 'DIR', help: 'where the new run is written' },
  data: {
    type: 'string',
    value: 'FILE',
    defaultText: 'the bundled 1,100 entries of the book',
    help: 'a JSON array or JSON lines of {instruction, input, output}',
  },
  format: {
    type: 'string',
    choices: [...promptFormatNames, CHAT_TEMPLATE],
    defaultText: "chat-template where the model's tokenizer has one, else alpaca, the book's",
    help: "the prompt format; chat-template: the model's own (tokenizer_config.json's)",
  },
  'mask-prompt': {
    type: 'boolean',
    help: "learn the responses only: the prompt's targets are ignored (exercise 7.2)",
  },
  bucket: { type: 'boolean', help: 'batch entries of similar length together (less padding)' },
  ...instructBatchFlags,
  ...scheduleFlags({ epochs: '2', lr: '5e-5', evalEvery: '5' }),
  'sample-every': {
    type: 'integer',
    value: 'N',
    min: 1,
    help: 'print the response to the first validation entry every N steps',
  },
  ...loraFlags(
    'freeze the model, train rank-R updates of every Linear of the blocks (the vocabulary head stays frozen); checkpoints keep the base weights and adapter.safetensors beside them, and every command loads the two merged',
  ),
  ...recomputeFlags,
} as const satisfies Flags;

export type InstructTrainValues = FlagValues<typeof flags>;

export const instructTrain = defineCommand({
  summary: 'fine-tune a model on instruction data, or resume a run',
  usage: ['scratchgpt instruct train --model DIR|ID --out DIR [--data FILE] [options]'],
  description: `Fine-tunes a model on instruction data (the book's chapter 7): each entry becomes a prompt in the
chosen format followed by its output; batches are padded with <|endoftext|> and only the first
padding target of a row counts. The entries split in file order: 85% train, 10% test, 5% validation.
A Qwen3, Llama 3.2 or Gemma 3 model is prompted in its own chat template by default: each example
ends with the template's end of turn and is padded with the tokenizer's pad token (else that end).`,
  flags,
  notes: `Losses before training are reported as step 0. Dropout follows the model's config.json.
With --json: the events of train, the first eval at step 0.`,
  run: (values, context) => runInstructTrain(values, context),
});

/** What the command line asks for, checked before any backend starts. */
interface InstructPlan {
  out: string;
  from: { directory: string; contents: DirectoryContents };
  resume?: TrainingSnapshot;
  config: GPTConfig;
  run: RunSettings;
  instruct: InstructRunSettings;
  format: PromptFormat;
}

async function runInstructTrain(values: InstructTrainValues, context: CommandContext): Promise<number> {
  const { output } = context;
  const schedule = readSchedule(values, 'instruct train');
  const sampleEvery = values['sample-every'];
  const { evalBatches } = schedule.options;
  const modelDir = await instructModelDirectory(values, context, 'instruct train');
  const contents = await inspectDirectory(modelDir, '--model');
  if (await isOpenModelDirectory(modelDir, contents)) {
    return instructTrainOpenModel(values, context, { directory: modelDir, contents }, schedule);
  }
  const plan = await planInstructRun(values, context, modelDir);
  const { out, run, config, format } = plan;
  checkResumedSchedule(schedule.options, plan.resume, 'instruct train', out);
  const data = await loadersOf(plan);
  await prepareRunDirectory(out);

  // Only now, with every argument, file and the data checked: the backend, then the model.
  await context.startBackend();
  const { lora } = plan.instruct;
  const baseWeights = frozenBasePrecision(lora, runPrecision(schedule.options.precision, plan.resume));
  checkMemory(config, {
    batchSize: run.batchSize,
    tokens: run.context,
    training: true,
    recompute: run.recompute,
    ...(lora ? { adapterParameters: loraParameters(config, lora.rank), baseWeights } : {}),
  });
  // A LoRA run resumes with its updates apart from the frozen weights; any other start merges them.
  const { model } = await loadRun(plan.from.directory, plan.from.contents, plan.resume ? 'keep' : 'merge');
  model.recompute = run.recompute;
  if (lora && !plan.resume) {
    // LoRA's A draws from the seeded default generator: --seed reproduces a run.
    manualSeed(plan.run.seed);
    applyLoRA(model, lora);
  }
  const parameters = model.numParameters();
  await storeFrozenBase(model, baseWeights);
  const entries = (loader: InstructionLoader) => loader.dataset.length.toLocaleString('en-US');
  output.note(
    `${plan.resume ? `resuming ${out} at step ${plan.resume.state.step}` : `instruction-tuning ${plan.from.directory} into ${out}`}: ` +
      `${parameters.toLocaleString('en-US')} parameters; ${entries(data.train)} training entries ` +
      `(${data.train.length} batches of ${run.batchSize}), ${entries(data.validation)} validation entries; ` +
      `${format.name} prompts${plan.instruct.maskPrompt ? ', prompts masked' : ''}` +
      (lora
        ? `; LoRA rank ${lora.rank}, alpha ${lora.alpha}: ${model.numParameters({ trainable: true }).toLocaleString('en-US')} parameters train${frozenBaseNote(baseWeights)}`
        : ''),
  );
  await tidyRunDirectory(out, output);

  const reporter = new TrainReporter(output);
  if (!plan.resume) {
    // The book's "initial losses", before the first step.
    const losses = await evaluateModel(model, data.train, data.validation, { evalBatches });
    if (losses) reporter.report({ event: 'eval', step: 0, tokensSeen: 0, ...losses });
  }
  const firstValidation = data.validation.dataset.entries[0]!;
  const sample = async () => {
    const answer = await respond(model, firstValidation, { tokenizer: gpt2(), format, maxNewTokens: 50 });
    const text = answer.response.replace(/\n/g, ' ').trim();
    if (text !== '') return text;
    // Said in words: an empty sample line reads as a bug in the report, not as the model's answer.
    return answer.ended === 'end-of-text'
      ? '(an empty response: <|endoftext|> came first)'
      : '(an empty response)';
  };
  await runTraining({
    out,
    reporter,
    ...(plan.resume ? { savedStep: plan.resume.state.step } : {}),
    save: (snapshot) => saveRun(out, model, snapshot, { task: 'instruct', run, instruct: plan.instruct }),
    events: ({ signal, saveCheckpoint }) =>
      trainModel({
        model,
        train: data.train,
        validation: data.validation,
        ...scheduleOptions(schedule, plan.resume, { epochs: 2, evalEvery: 5, lr: 5e-5 }),
        ...(sampleEvery ? { sampleEvery, sample } : {}),
        saveCheckpoint,
        signal,
      }),
  });
  return 0;
}

/** Checks the flags against each other and against the directories. */
async function planInstructRun(
  values: InstructTrainValues,
  context: CommandContext,
  resolved: string,
): Promise<InstructPlan> {
  const start = await readInstructStart(values, context, 'instruct train', resolved);
  const { modelDir, contents, config, lora } = start;
  const from = { directory: modelDir, contents };
  if (contents.kind === 'run' && contents.manifest.task === 'instruct') {
    const saved = contents.manifest;
    const { instruct } = saved;
    const target = await resumeTarget(start);
    const given = {
      ...sharedResumeGiven(start),
      '--mask-prompt': values['mask-prompt'] === true ? true : undefined,
      '--bucket': values.bucket === true ? true : undefined,
    };
    checkResumeFlags(resumeFlags, given, modelDir, saved);
    windowLength(config, saved.run.context);
    return {
      out: target,
      from,
      resume: await readRunState(modelDir, saved),
      config,
      run: saved.run,
      instruct,
      format: chosenFormat(instruct.promptFormat, contents),
    };
  }
  // A checkpoint, or a pretraining run: a new instruction-tuning run starts from its weights.
  const out = await newRunTarget(start, 'instruct train');
  const format = chosenFormat(start.requestedFormat, { kind: 'checkpoint' });
  const run = newRunSettings(start, context, defaultInstructionDataPath);
  const settings: InstructRunSettings = {
    promptFormat: format.name,
    maskPrompt: values['mask-prompt'] === true,
    bucketByLength: values.bucket === true,
    ...(lora ? { lora } : {}),
  };
  return { out, from, config, run, instruct: settings, format };
}

/** A resumed run sees the same batches, prompted the same way, and trains the same updates. */
export const resumeFlags: ResumeTable<InstructManifest> = {
  command: 'instruct train',
  flags: {
    ...sharedResumeRules<InstructManifest>(),
    '--mask-prompt': (manifest) => manifest.instruct.maskPrompt,
    '--bucket': (manifest) => manifest.instruct.bucketByLength,
  },
  differs: resumeDiffers,
};

/** How entries become ids: GPT-2's tokenizer, ended and padded with <|endoftext|>, unless told otherwise. */
export interface InstructionTokens {
  tokenizer: Tokenizer;
  /** The id ending every example (default GPT-2's <|endoftext|>). */
  endTokenId?: number;
  /** The id padding a batch after it (default: the end id, as the book pads). */
  padTokenId?: number;
  /** Refuses entries before they are tokenized (an open model's special tokens in their text). */
  check?: (entries: readonly InstructionEntry[]) => void;
}

/** The book's split and loaders: shuffled training batches without the last partial one, validation in order. */
export async function loadersOf(
  plan: Pick<InstructPlan, 'run' | 'instruct' | 'format'>,
  tokens: InstructionTokens = { tokenizer: gpt2() },
): Promise<{ train: InstructionLoader; validation: InstructionLoader }> {
  const { run, instruct, format } = plan;
  const entries = await readInstructionData(run.data);
  tokens.check?.(entries);
  const split = splitInstructionData(entries);
  checkSplitSizes(run, entries.length, split);
  const { tokenizer } = tokens;
  const common = {
    allowedMaxLength: run.context,
    maskPrompt: instruct.maskPrompt,
    ...(tokens.endTokenId !== undefined ? { endTokenId: tokens.endTokenId } : {}),
    ...(tokens.padTokenId !== undefined ? { padTokenId: tokens.padTokenId } : {}),
  };
  const dataset = (part: typeof entries) => {
    try {
      return new InstructionDataset(part, { tokenizer, format });
    } catch (error) {
      if (error instanceof InstructionDataError)
        throw new CommandError(`--data ${run.data}: ${error.message}`);
      throw error;
    }
  };
  return {
    train: createInstructionLoader(dataset(split.train), {
      ...common,
      batchSize: run.batchSize,
      shuffle: run.shuffle,
      seed: run.seed,
      bucketByLength: instruct.bucketByLength,
    }),
    validation: createInstructionLoader(dataset(split.validation), {
      ...common,
      batchSize: run.batchSize,
      shuffle: false,
      dropLast: false,
    }),
  };
}

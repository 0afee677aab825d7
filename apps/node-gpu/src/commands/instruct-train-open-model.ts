/**
 * `instruct train --model` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint or run: the book's chapter 7
 * on these families. Entries are written in the model's own chat template by default (or Alpaca,
 * Phi-3), each example ends with the format's end of turn and batches are padded with the tokenizer's
 * pad id (its end id where it has none); with --lora-rank only rank-R updates train. The run resumes
 * exactly, and records its format so `instruct respond` prompts the run the same way.
 */
import type { LoRASettings } from '@scratchgpt/lora';
import { applyLoRA } from '@scratchgpt/lora';
import { manualSeed } from '@scratchgpt/tensor';
import { evaluateModel, type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import { stringFlag } from '../args.js';
import { frozenBaseNote, frozenBasePrecision, runPrecision, storeFrozenBase } from '../frozen-base.js';
import { defaultInstructionDataPath } from '../instruct-data.js';
import type { InstructRunSettings } from '../instruct-settings.js';
import { readLoRAFlags } from '../lora-flags.js';
import { checkOpenModelFits } from '../open-model-directory.js';
import { openFormatName, openInstructionFormat, openRespond } from '../open-model-instruct.js';
import { checkOpenTrainingFits, openLoRAParameters } from '../open-model-memory.js';
import {
  loadOpenRun,
  openWindowLength,
  readOpenDecoder,
  readOpenModelBase,
  saveOpenRun,
} from '../open-model-run.js';
import { openModelTokenizer } from '../open-model-text.js';
import { outputPathFlag } from '../output-file.js';
import { modelFilesOf, prepareRunDirectory, readRunState } from '../run-directory.js';
import { checkResumeFlags } from '../run-flags.js';
import type { RunSettings } from '../run-manifest.js';
import type { CommandContext } from './context.js';
import {
  instructRunSettings,
  newRunTarget,
  requestedBatching,
  resumeTarget,
  sharedResumeGiven,
  tidyRunDirectory,
} from './instruct-run.js';
import { type InstructTrainValues, loadersOf, resumeFlags } from './instruct-train.js';
import { runTraining, scheduleOptions } from './run-training.js';
import type { readSchedule } from './schedule.js';
import { checkResumedSchedule } from './schedule.js';
import { TrainReporter } from './train-reporter.js';
import type { ModelSource } from './train-run-settings.js';

export async function instructTrainOpenModel(
  values: InstructTrainValues,
  context: CommandContext,
  source: ModelSource,
  schedule: ReturnType<typeof readSchedule>,
): Promise<number> {
  const { output } = context;
  const { directory, contents } = source;
  const files = modelFilesOf(directory, contents);
  const decoder = await readOpenDecoder(files);
  const tokenizer = await openModelTokenizer(files, 'instruct train reads it beside config.json');
  const requested = requestedBatching(values, context);
  const requestedFormat = stringFlag(values, 'format');
  const lora = readLoRAFlags(values);
  const start = { out: outputPathFlag(values, 'out'), modelDir: directory, modelArg: values.model };

  let out: string;
  let run: RunSettings;
  let instruct: InstructRunSettings;
  let resume: TrainingSnapshot | undefined;
  if (contents.kind === 'run' && contents.manifest.task === 'instruct') {
    const saved = contents.manifest;
    checkResumeFlags(
      resumeFlags,
      {
        ...sharedResumeGiven({ requested, requestedFormat, lora }),
        '--mask-prompt': values['mask-prompt'] === true ? true : undefined,
        '--bucket': values.bucket === true ? true : undefined,
      },
      directory,
      saved,
    );
    out = await resumeTarget(start);
    ({ run, instruct } = saved);
    resume = await readRunState(directory, saved);
  } else {
    out = await newRunTarget(start, 'instruct train');
    run = instructRunSettings(
      requested,
      context,
      defaultInstructionDataPath,
      openWindowLength(decoder, requested.context),
    );
    instruct = {
      promptFormat: openFormatName(requestedFormat, undefined, tokenizer),
      maskPrompt: values['mask-prompt'] === true,
      bucketByLength: values.bucket === true,
      ...(lora ? { lora } : {}),
    };
  }
  checkResumedSchedule(schedule.options, resume, 'instruct train', out);
  const instruction = openInstructionFormat(instruct.promptFormat, tokenizer);
  const { format } = instruction;
  const data = await loadersOf({ run, instruct, format }, instruction);
  await prepareRunDirectory(out);

  await context.startBackend();
  checkOpenModelFits((await readOpenModelBase(files)).configJson, directory);
  const trained: LoRASettings | undefined = instruct.lora;
  const baseWeights = frozenBasePrecision(trained, runPrecision(schedule.options.precision, resume));
  checkOpenTrainingFits(
    decoder,
    {
      batchSize: run.batchSize,
      tokens: run.context,
      recompute: run.recompute,
      ...(trained ? { adapterParameters: openLoRAParameters(decoder, trained.rank), baseWeights } : {}),
    },
    directory,
  );
  // A LoRA run resumes with its updates apart from the frozen weights; any other start merges them.
  const loaded = await loadOpenRun(directory, contents, resume ? 'keep' : 'merge');
  const { model } = loaded;
  model.recompute = run.recompute;
  try {
    if (trained && !resume) {
      // LoRA's A draws from the seeded default generator: --seed reproduces a run.
      manualSeed(run.seed);
      applyLoRA(model, trained);
    }
    const parameters = model.numParameters();
    await storeFrozenBase(model, baseWeights);
    output.note(
      `${resume ? `resuming ${out} at step ${resume.state.step}` : `instruction-tuning ${decoder.family} ${directory} into ${out}`}: ` +
        `${parameters.toLocaleString('en-US')} parameters; ${data.train.dataset.length} training entries ` +
        `(${data.train.length} batches of ${run.batchSize}), ${data.validation.dataset.length} validation entries; ` +
        `${format.name} prompts${instruct.maskPrompt ? ', prompts masked' : ''}` +
        (trained
          ? `; LoRA rank ${trained.rank}, alpha ${trained.alpha}: ${model.numParameters({ trainable: true }).toLocaleString('en-US')} parameters train${frozenBaseNote(baseWeights)}`
          : ''),
    );
    await tidyRunDirectory(out, output);
    const reporter = new TrainReporter(output);
    const { evalBatches } = schedule.options;
    if (!resume) {
      const losses = await evaluateModel(model, data.train, data.validation, { evalBatches });
      if (losses) reporter.report({ event: 'eval', step: 0, tokensSeen: 0, ...losses });
    }
    const firstValidation = data.validation.dataset.entries[0]!;
    const sample = async () => {
      const answer = await openRespond(model, firstValidation, instruction, 50);
      return answer.response.replace(/\n/g, ' ') || '(an empty response)';
    };
    const sampleEvery = values['sample-every'];
    await runTraining({
      out,
      reporter,
      ...(resume ? { savedStep: resume.state.step } : {}),
      save: (snapshot) => saveOpenRun(out, model, loaded, snapshot, { task: 'instruct', run, instruct }),
      events: ({ signal, saveCheckpoint }) =>
        trainModel({
          model,
          train: data.train,
          validation: data.validation,
          ...scheduleOptions(schedule, resume, { epochs: 2, evalEvery: 5, lr: 5e-5 }),
          ...(sampleEvery ? { sampleEvery, sample } : {}),
          saveCheckpoint,
          signal,
        }),
    });
  } finally {
    model.dispose();
  }
  return 0;
}

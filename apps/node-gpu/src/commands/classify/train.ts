/**
 * `classify train`: fine-tunes a GPT into a classifier on labelled texts (the book's chapter 6, or its
 * appendix E with LoRA), through the trainer's loop, into a run directory that resumes like `train`'s.
 */
import {
  type ClassificationData,
  type ClassifierSettings,
  classificationObjective,
  classifierSettings,
  createClassifier,
  type GPTClassifier,
  type Pooling,
  poolings,
  type TrainablePart,
  trainableParts,
} from '@scratchgpt/classifier';
import { GPTModel } from '@scratchgpt/gpt-model';
import type { LoRASettings } from '@scratchgpt/lora';
import { manualSeed } from '@scratchgpt/tensor';
import { type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import { type Flags, type FlagValues, stringFlag } from '../../args.js';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { UsageError } from '../../errors.js';
import { frozenBaseNote, frozenBasePrecision, runPrecision, storeFrozenBase } from '../../frozen-base.js';
import { checkLoRARank, loraFlags, loraParameters, readLoRAFlags } from '../../lora-flags.js';
import { resolveConfig } from '../../model-config.js';
import { isHubModel, resolveModelSource } from '../../model-source.js';
import { loadOpenModelDirectory } from '../../open-model-directory.js';
import { outputPathFlag } from '../../output-file.js';
import { recomputeFlags } from '../../recompute-flags.js';
import {
  checkNewRunDirectory,
  cleanRunDirectory,
  inspectDirectory,
  loadModelDirectory,
  modelFilesOf,
  prepareRunDirectory,
  readRunState,
} from '../../run-directory.js';
import { checkResumeFlags, type ResumeTable } from '../../run-flags.js';
import type { ClassifyManifest } from '../../run-manifest.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { runTraining, scheduleOptions } from '../run-training.js';
import { checkResumedSchedule, readSchedule, scheduleFlags } from '../schedule.js';
import { TrainReporter } from '../train-reporter.js';
import { dataFlags, dataSettings, loadClassificationData, requestedData } from './data.js';
import { evaluateSplits, reportEvaluation, splitAccuracies } from './evaluation.js';
import { type ClassifyModel, checkModelMemory, describeModel, gptModel } from './model.js';
import {
  type ClassifierLocation,
  findClassifier,
  holdsClassifier,
  loadClassifierFiles,
  readClassifierSettings,
  saveClassifierRun,
} from './run.js';

const trainFlags = {
  model: {
    type: 'string',
    value: 'DIR|ID',
    help: 'a GPT, Qwen3, Llama 3.2 or Gemma 3 checkpoint or run to fine-tune (an open family reads texts with its own tokenizer.json); a classifier checkpoint to train on; a classifier run to resume exactly (then --out defaults to it)',
  },
  config: {
    type: 'string',
    value: 'NAME|FILE',
    help: 'instead: a new model with random weights (a preset such as gpt-micro)',
  },
  out: { type: 'string', value: 'DIR', help: 'the run directory (checkpoints, checkpoint.json, loss.svg)' },
  trainable: {
    type: 'string',
    value: 'PART',
    choices: trainableParts,
    defaultText: 'last-block',
    help: "head; last-block, the book's: the last block, the final norm and the head; or all",
  },
  pooling: {
    type: 'string',
    value: 'P',
    choices: poolings,
    defaultText: 'last',
    help: "last, the book's: the last position, often a pad; or last-non-pad: each text's last token, so that predictions do not depend on the padding",
  },
  'max-length': {
    type: 'integer',
    value: 'N',
    min: 1,
    defaultText: "the longest training text; it must fit the model's context",
    help: 'pad or truncate every text to N tokens',
  },
  ...scheduleFlags({ epochs: '5', lr: '5e-5; the book uses 8e-4 with LoRA', evalEvery: '50' }),
  'no-final-eval': { type: 'boolean', help: 'skip the loss and accuracy of every split at the end' },
  ...loraFlags('LoRA instead: freeze the model, train rank-R updates of every Linear, the head included'),
  ...dataFlags,
  ...recomputeFlags,
} as const satisfies Flags;

type TrainValues = FlagValues<typeof trainFlags>;

export const classifyTrain = defineCommand({
  summary: 'fine-tune a GPT or an open model (or a classifier) on labelled texts, or resume a run',
  usage: [
    'scratchgpt classify train (--model DIR | --config NAME) --out DIR [--data FILE] [options]',
    'scratchgpt classify train --model RUN_DIR [options]      (resume)',
  ],
  description: `Fine-tunes a GPT on labelled texts, as the book's chapter 6 does with the SMS Spam Collection:
every class undersampled to the smallest (seeded), a 0.7 / 0.1 / 0.2 split (seeded: with the bundled
data and the default seed 123 it is the book's exact split), texts padded with <|endoftext|> to the
longest training text, the vocabulary head replaced by a class head. Evaluations report the loss and
the accuracy. A Qwen3, Llama 3.2 or Gemma 3 model trains the same way on its final norm's output, its
texts read with its own tokenizer.json and padded with its pad token (else <|endoftext|>, else its end
token); every checkpoint keeps its config.json and tokenizer files.`,
  flags: trainFlags,
  notes: `With --json: {"event":"step",…}, {"event":"eval","step","trainLoss","valLoss","trainAccuracy",
"valAccuracy","examplesSeen"}, {"event":"done",…} and {"event":"evaluation","classes","train",
"validation","test"} (each {"accuracy","loss","examples","correct","confusion"}).`,
  run: (values, context) => runClassifyTrain(values, context),
});

/** Where the classifier comes from, decided before the backend starts. */
type Start =
  | { kind: 'resume'; location: ClassifierLocation; snapshot: TrainingSnapshot }
  | { kind: 'classifier'; location: ClassifierLocation }
  | { kind: 'pretrained'; directory: string; files: string }
  | { kind: 'random' };

interface Plan {
  out: string;
  start: Start;
  model: ClassifyModel;
  run: ClassifyRunSettings;
  settings: ClassifierSettings;
  data: ClassificationData;
}

async function runClassifyTrain(values: TrainValues, context: CommandContext): Promise<number> {
  const { output } = context;
  const schedule = readSchedule(values, 'classify train');
  const { evalBatches } = schedule.options;
  const plan = await planRun(values, context);
  const { out, run, data, settings } = plan;
  const resume = plan.start.kind === 'resume' ? plan.start.snapshot : undefined;
  checkResumedSchedule(schedule.options, resume, 'classify train', out);
  await prepareRunDirectory(out);

  // Only now, with every argument, file and the data checked: the backend, then the model.
  await context.startBackend();
  const { lora } = settings;
  const baseWeights = frozenBasePrecision(lora, runPrecision(schedule.options.precision, resume));
  checkModelMemory(plan.model, {
    batchSize: run.batchSize,
    tokens: run.maxLength,
    training: true,
    recompute: run.recompute,
    headOutputs: settings.classes.length,
    ...(lora && plan.model.kind === 'gpt'
      ? {
          adapterParameters: loraParameters(plan.model.config, lora.rank, settings.classes.length),
          baseWeights,
        }
      : {}),
  });
  const model = await buildClassifier(plan, context.seed);
  model.backbone.model.recompute = run.recompute;
  const parameters = model.numParameters();
  // The class head is the classifier's own, not the frozen model's: it stays f32.
  await storeFrozenBase(model, baseWeights, (name) => name === 'out_head');
  output.note(
    `${plan.start.kind === 'resume' ? `resuming ${out} at step ${plan.start.snapshot.state.step}` : `fine-tuning into ${out}`}: ` +
      `${parameters.toLocaleString('en-US')} parameters, ${model.numParameters({ trainable: true }).toLocaleString('en-US')} trainable ` +
      `(${settings.lora ? `LoRA rank ${settings.lora.rank}, alpha ${settings.lora.alpha}${frozenBaseNote(baseWeights)}` : settings.trainable}); classes ${settings.classes.join(', ')}; ` +
      `${data.train.rows.length} / ${data.validation.rows.length} / ${data.test.rows.length} texts of ${data.maxLength} tokens ` +
      `(${data.train.loader.length} batches of ${run.batchSize} per epoch)`,
  );

  const existing = await inspectDirectory(out, '--out');
  const removed = await cleanRunDirectory(out, existing.kind === 'run' ? existing.manifest : undefined);
  if (removed.length > 0)
    output.note(`removed what an interrupted save left in ${out}: ${removed.join(', ')}`);
  const reporter = new TrainReporter(output);
  const validation = data.validation.loader.length > 0 ? data.validation.loader : undefined;
  const ended = await runTraining({
    out,
    reporter,
    ...(resume ? { savedStep: resume.state.step } : {}),
    save: (snapshot) =>
      saveClassifierRun(
        out,
        model,
        settings,
        snapshot,
        run,
        plan.model.kind === 'open' ? plan.model.base : undefined,
      ),
    events: ({ signal, saveCheckpoint }) =>
      trainModel({
        model,
        train: data.train.loader,
        ...(validation ? { validation } : {}),
        objective: classificationObjective(),
        ...scheduleOptions(schedule, resume, { epochs: 5, evalEvery: 50, lr: 5e-5 }),
        saveCheckpoint,
        signal,
      }),
    reportEval: async (event) => {
      const accuracy = await splitAccuracies(model, data.train.loader, validation, evalBatches);
      reportEval(reporter, context, {
        ...event,
        ...accuracy,
        // Every batch is padded to the same length; a step may take fewer batches than --grad-accum.
        examplesSeen: event.tokensSeen / data.train.loader.maxLength,
      });
    },
  });
  if (ended === 'completed' && values['no-final-eval'] !== true) {
    reportEvaluation(context.output, await evaluateSplits(model, data), settings.classes);
  }
  model.dispose();
  return 0;
}

function reportEval(
  reporter: TrainReporter,
  context: CommandContext,
  event: {
    step: number;
    trainLoss: number;
    valLoss: number | null;
    trainAccuracy: number;
    valAccuracy: number | null;
    examplesSeen: number;
  },
): void {
  const { step, trainLoss, valLoss, trainAccuracy, valAccuracy, examplesSeen } = event;
  context.output.event({ event: 'eval', step, trainLoss, valLoss, trainAccuracy, valAccuracy, examplesSeen });
  if (context.output.json) return;
  const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
  const val = valLoss == null ? '' : `, val ${valLoss.toFixed(3)}`;
  const valAccuracyText = valAccuracy == null ? '' : `, val ${percent(valAccuracy)}`;
  reporter.log(
    `step ${String(step).padStart(5)}: loss train ${trainLoss.toFixed(3)}${val}; accuracy train ${percent(trainAccuracy)}${valAccuracyText} (${examplesSeen.toLocaleString('en-US')} examples seen)`,
  );
}

/** The flags checked against each other and the directories, and the data read and split. */
async function planRun(values: TrainValues, context: CommandContext): Promise<Plan> {
  const modelArg = stringFlag(values, 'model');
  const configName = stringFlag(values, 'config');
  const out = outputPathFlag(values, 'out');
  const requested = {
    ...requestedData(values),
    ...(values.recompute !== undefined ? { recompute: values.recompute } : {}),
  };
  const maxLength = values['max-length'];
  const modelChoice = modelFlags(values);
  if (modelArg !== undefined && configName !== undefined) {
    throw new UsageError(
      'classify train: give --model DIR|ID (a pretrained GPT) or --config NAME (random weights), not both',
    );
  }
  if (modelArg === undefined && configName === undefined) {
    throw new UsageError(
      'classify train: give --model DIR (a GPT to fine-tune, or a classifier run to resume) or --config NAME (a new model with random weights)',
    );
  }

  if (modelArg !== undefined && isHubModel(modelArg) && out === undefined) {
    throw new UsageError(
      `classify train: --out DIR is required with --model ${modelArg}: the Hugging Face cache is never written to`,
    );
  }

  if (modelArg !== undefined) {
    const modelDir = await resolveModelSource(modelArg, context);
    const contents = await inspectDirectory(modelDir, '--model');
    if (await holdsClassifier(modelFilesOf(modelDir, contents), contents)) {
      const location = await findClassifier(modelDir, 'classify train');
      const settings = await readClassifierSettings(location.files);
      const given = {
        ...modelChoice.given,
        '--data': requested.data,
        '--format': requested.format,
        '--text-column': requested.textColumn,
        '--label-column': requested.labelColumn,
        '--header': requested.header,
        '--balance': requested.balance,
        '--val-ratio': requested.valRatio,
        '--test-ratio': requested.testRatio,
        '--batch-size': requested.batchSize,
        '--max-length': maxLength,
        '--seed': context.seedGiven ? context.seed : undefined,
        '--split-seed': requested.splitSeed,
        '--recompute': requested.recompute,
      };
      // The model flags are refused first: training on from a classifier checkpoint keeps them too.
      checkResumeFlags(resumeFlags, given, modelDir);
      const model = await describeModel(location.files);
      if (location.manifest) {
        const target = out ?? modelDir;
        if (target !== modelDir) await checkNewRunDirectory(target);
        const saved = location.manifest.run;
        checkResumeFlags(resumeFlags, given, modelDir, location.manifest);
        const snapshot = await readRunState(modelDir, location.manifest);
        const data = await loadClassificationData(saved, {
          tokenizer: model.tokenizer,
          contextLength: model.contextLength,
          maxLength: saved.maxLength,
          classes: settings.classes,
        });
        return {
          out: target,
          start: { kind: 'resume', location, snapshot },
          model,
          run: saved,
          settings,
          data,
        };
      }
      if (out === undefined || out === modelDir) {
        throw new UsageError(
          `classify train: ${modelDir} is a classifier checkpoint: give --out DIR for the run that trains on from its weights`,
        );
      }
      await checkNewRunDirectory(out);
      const base = dataSettings(requested, context.seed);
      const data = await loadClassificationData(base, {
        tokenizer: model.tokenizer,
        contextLength: model.contextLength,
        maxLength: settings.maxLength,
        classes: settings.classes,
      });
      const run = { ...base, maxLength: data.maxLength, base: modelArg };
      return { out, start: { kind: 'classifier', location }, model, run, settings, data };
    }
    if (out === undefined || out === modelDir) {
      throw new UsageError(
        `classify train: --out DIR is required: where the classifier fine-tuned from ${modelDir} is written`,
      );
    }
    await checkNewRunDirectory(out);
    const files = modelFilesOf(modelDir, contents);
    return newRun({
      out,
      start: { kind: 'pretrained', directory: modelDir, files },
      base: modelArg,
      model: await describeModel(files),
      requested,
      maxLength,
      modelChoice,
      context,
    });
  }
  if (out === undefined) throw new UsageError('classify train: --out DIR is required');
  await checkNewRunDirectory(out);
  const config = await resolveConfig(configName as string);
  return newRun({
    out,
    start: { kind: 'random' },
    base: configName as string,
    model: gptModel(config),
    requested,
    maxLength,
    modelChoice,
    context,
  });
}

async function newRun(plan: {
  out: string;
  start: Start;
  base: string;
  model: ClassifyModel;
  requested: Partial<ClassifyRunSettings>;
  maxLength: number | undefined;
  modelChoice: ModelChoice;
  context: CommandContext;
}): Promise<Plan> {
  checkLoRARank(plan.modelChoice.lora, plan.model);
  const settings = dataSettings(plan.requested, plan.context.seed);
  const data = await loadClassificationData(settings, {
    tokenizer: plan.model.tokenizer,
    contextLength: plan.model.contextLength,
    maxLength: plan.maxLength,
  });
  const { pooling, trainable, lora } = plan.modelChoice;
  return {
    out: plan.out,
    start: plan.start,
    model: plan.model,
    run: { ...settings, maxLength: data.maxLength, base: plan.base },
    settings: classifierSettings({
      classes: data.classes,
      maxLength: data.maxLength,
      tokenizer: plan.model.tokenizer,
      pooling,
      trainable,
      lora,
    }),
    data,
  };
}

interface ModelChoice {
  pooling: Pooling;
  trainable: TrainablePart;
  lora: LoRASettings | null;
  /** The model flags that were given, by name. */
  given: Record<string, string>;
}

function modelFlags(values: TrainValues): ModelChoice {
  const given = Object.fromEntries(
    (['trainable', 'pooling', 'lora-rank', 'lora-alpha', 'lora-scaling'] as const)
      .filter((name) => values[name] !== undefined)
      .map((name) => [`--${name}`, String(values[name])]),
  );
  const pooling = values.pooling ?? 'last';
  const trainable = values.trainable ?? 'last-block';
  const lora = readLoRAFlags(values) ?? null;
  if (lora && given['--trainable'] !== undefined) {
    throw new UsageError(
      '--trainable does not go with --lora-rank: LoRA freezes the model and trains its updates alone',
    );
  }
  return { pooling, trainable, lora, given };
}

/**
 * A classifier keeps its model (training on from its checkpoint too); a resumed run also sees the same
 * texts in the same batches, so its data flags must agree with the run's.
 */
const resumeFlags: ResumeTable<ClassifyManifest> = {
  command: 'classify train',
  flags: {
    '--trainable': 'kept',
    '--pooling': 'kept',
    '--lora-rank': 'kept',
    '--lora-alpha': 'kept',
    '--lora-scaling': 'kept',
    '--data': (manifest) => manifest.run.data,
    '--format': (manifest) => manifest.run.format,
    '--text-column': (manifest) => manifest.run.textColumn,
    '--label-column': (manifest) => manifest.run.labelColumn,
    '--header': (manifest) => manifest.run.header,
    '--balance': (manifest) => manifest.run.balance,
    '--val-ratio': (manifest) => manifest.run.valRatio,
    '--test-ratio': (manifest) => manifest.run.testRatio,
    '--batch-size': (manifest) => manifest.run.batchSize,
    '--max-length': (manifest) => manifest.run.maxLength,
    '--seed': (manifest) => manifest.run.seed,
    '--split-seed': (manifest) => manifest.run.splitSeed,
    '--recompute': (manifest) => manifest.run.recompute,
  },
  kept: (flags, directory) =>
    `${directory} is a classifier, which keeps its ${flags.join(', ')}; leave them out`,
  differs: (flag, given, saved, { directory }) =>
    `${flag} ${String(given)} differs from the run in ${directory}, which has ${String(saved)}; a resumed run keeps its data and batches: leave it out`,
};

async function buildClassifier(plan: Plan, seed: number): Promise<GPTClassifier> {
  const { start, settings, model } = plan;
  if (start.kind === 'resume' || start.kind === 'classifier')
    return (await loadClassifierFiles(start.location)).classifier;
  const pretrained =
    start.kind !== 'pretrained'
      ? undefined
      : model.kind === 'open'
        ? await loadOpenModelDirectory(start.files)
        : (await loadModelDirectory(start.directory)).model;
  // The new head (and LoRA's A) draw from the seeded default generator: --seed reproduces a run.
  manualSeed(seed);
  // Random weights come only from --config, a GPT preset.
  const backbone = pretrained ?? new GPTModel((model as Extract<ClassifyModel, { kind: 'gpt' }>).config);
  return createClassifier(backbone, {
    numClasses: settings.classes.length,
    pooling: settings.pooling,
    ...(settings.lora ? { lora: settings.lora } : { trainable: settings.trainable as TrainablePart }),
  });
}

/**
 * `train --model` with a Qwen3, Llama 3.2 or Gemma 3 checkpoint or run: continued pretraining on a
 * text in the model's own tokens (one document: its BOS first where the family has one, its EOS
 * last), cut into the book's split and windows of at most the model's context, trained with the same
 * loop, schedule and AdamW as GPT runs, into a run directory whose checkpoints are Hugging Face ones.
 */
import { TooFewTokensError } from '@scratchgpt/data-loader';
import { generate } from '@scratchgpt/gpt-model';
import type { DecoderConfig } from '@scratchgpt/open-models';
import type { HFTokenizer } from '@scratchgpt/tokenizer';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import { readText } from '../data.js';
import { CommandError, UsageError } from '../errors.js';
import { checkOpenModelFits } from '../open-model-directory.js';
import { checkOpenTrainingFits } from '../open-model-memory.js';
import {
  loadOpenRun,
  openWindowLength,
  readOpenDecoder,
  readOpenModelBase,
  saveOpenRun,
} from '../open-model-run.js';
import { openModelTextBatches, openModelTokenizer } from '../open-model-text.js';
import { outputPathFlag } from '../output-file.js';
import { checkNewRunDirectory, modelFilesOf, prepareRunDirectory, readRunState } from '../run-directory.js';
import type { RunSettings } from '../run-manifest.js';
import type { CommandContext } from './context.js';
import { checkResumedSchedule, type readSchedule } from './schedule.js';
import type { TrainValues } from './train.js';
import {
  checkPretrainResumeFlags,
  type ModelSource,
  newRunSettings,
  pretrainManifestOf,
  requestedRunSettings,
  runPretraining,
  tooFewTokensLine,
} from './train-run-settings.js';

export interface OpenTrainRequest {
  source: ModelSource;
  schedule: ReturnType<typeof readSchedule>;
  sampleEvery: number | undefined;
  prompt: string;
}

interface OpenTrainPlan {
  out: string;
  run: RunSettings;
  resume?: TrainingSnapshot;
  decoder: DecoderConfig;
}

export async function trainOpenModel(
  values: TrainValues,
  context: CommandContext,
  request: OpenTrainRequest,
  extra: { signal?: AbortSignal } = {},
): Promise<number> {
  const { output } = context;
  const { source, schedule } = request;
  const plan = await planOpenRun(values, context, source);
  const { out, run, decoder } = plan;
  checkResumedSchedule(schedule.options, plan.resume, 'train', out);
  const files = modelFilesOf(source.directory, source.contents);
  const tokenizer = await openModelTokenizer(files, 'train reads it beside config.json');
  const data = batchesOf(await readText(run.data), tokenizer, decoder, run);
  await prepareRunDirectory(out);

  await context.startBackend();
  checkOpenModelFits((await readOpenModelBase(files)).configJson, source.directory);
  const use = { batchSize: run.batchSize, tokens: run.context, recompute: run.recompute };
  checkOpenTrainingFits(decoder, use, source.directory);
  const loaded = await loadOpenRun(source.directory, source.contents);
  const { model } = loaded;
  model.recompute = run.recompute;
  try {
    const sample = async () => {
      const bos = tokenizer.bosId === null ? [] : [tokenizer.bosId];
      const promptIds = [...bos, ...tokenizer.encode(request.prompt)].slice(-decoder.contextLength);
      const room = Math.max(0, Math.min(25, decoder.contextLength - promptIds.length));
      const ids = await generate(model, promptIds, { maxNewTokens: room });
      return `${request.prompt}${tokenizer.decode(ids)}`.replace(/\n/g, ' ');
    };
    await runPretraining({
      output,
      out,
      model,
      what: `training ${decoder.family} into ${out}`,
      data,
      run,
      resume: plan.resume,
      schedule,
      sampleEvery: request.sampleEvery,
      sample,
      save: (snapshot) => saveOpenRun(out, model, loaded, snapshot, { task: 'pretrain', run }),
      signal: extra.signal,
    });
  } finally {
    model.dispose();
  }
  return 0;
}

/** Checks the flags against the run or checkpoint, as for GPT runs; reads the model's config alone. */
async function planOpenRun(
  values: TrainValues,
  context: CommandContext,
  { directory, contents }: ModelSource,
): Promise<OpenTrainPlan> {
  const out = outputPathFlag(values, 'out');
  const requested = requestedRunSettings(values, context);
  const decoder = await readOpenDecoder(modelFilesOf(directory, contents));
  if (contents.kind === 'run') {
    const manifest = pretrainManifestOf(contents.manifest, directory);
    const target = out ?? directory;
    if (target !== directory) await checkNewRunDirectory(target);
    checkPretrainResumeFlags(requested, directory, manifest);
    const resume = await readRunState(directory, manifest);
    return { out: target, run: manifest.run, resume, decoder };
  }
  if (out === undefined || out === directory) {
    throw new UsageError(
      `train: ${directory} is a checkpoint, not a run: give --out DIR for the new run that trains on from its weights`,
    );
  }
  await checkNewRunDirectory(out);
  const run = newRunSettings(requested, context, openWindowLength(decoder, requested.context));
  return { out, run, decoder };
}

function batchesOf(text: string, tokenizer: HFTokenizer, decoder: DecoderConfig, run: RunSettings) {
  try {
    return openModelTextBatches(text, tokenizer, decoder, {
      maxLength: run.context,
      batchSize: run.batchSize,
      validationRatio: run.valRatio,
      shuffle: run.shuffle,
      seed: run.seed,
    });
  } catch (error) {
    if (error instanceof TooFewTokensError) throw new CommandError(tooFewTokensLine(error, run));
    throw error;
  }
}

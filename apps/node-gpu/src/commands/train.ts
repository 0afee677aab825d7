import { type TextBatches, TooFewTokensError, textToBatches } from '@scratchgpt/data-loader';
import { type GPTConfig, GPTModel, generate } from '@scratchgpt/gpt-model';
import type { TrainingSnapshot } from '@scratchgpt/trainer';
import { type Flags, type FlagValues, stringFlag } from '../args.js';
import { readText } from '../data.js';
import { CommandError, UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf, resolveConfig, windowLength } from '../model-config.js';
import { isHubModel, resolveModelSource } from '../model-source.js';
import { isOpenModelDirectory } from '../open-model-run.js';
import { outputPathFlag } from '../output-file.js';
import { recomputeFlags } from '../recompute-flags.js';
import {
  checkNewRunDirectory,
  type DirectoryContents,
  inspectDirectory,
  loadRun,
  modelFilesOf,
  prepareRunDirectory,
  readRunState,
  saveRun,
} from '../run-directory.js';
import type { RunSettings } from '../run-manifest.js';
import { createStreamDecoder, encodeText, gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';
import { checkResumedSchedule, readSchedule, scheduleFlags } from './schedule.js';
import { trainOpenModel } from './train-open-model.js';
import {
  checkPretrainResumeFlags,
  type ModelSource,
  newRunSettings,
  pretrainManifestOf,
  requestedRunSettings,
  runPretraining,
  tooFewTokensLine,
} from './train-run-settings.js';

const flags = {
  data: {
    type: 'string',
    value: 'FILE',
    section: 'Data and model',
    defaultText: 'the bundled The Verdict',
    help: 'the text to train on',
  },
  config: {
    type: 'string',
    value: 'NAME|FILE',
    defaultText: 'gpt-micro',
    help: 'a preset (gpt-nano, gpt-micro, gpt-mini, gpt-tiny, gpt2-small…) or a config file',
  },
  model: {
    type: 'string',
    value: 'DIR|ID',
    help: 'a run to resume exactly (its checkpoint.json), or a checkpoint to train on from its weights with a fresh optimizer (then --out is required); a Hugging Face Hub id (gpt2 … gpt2-xl, owner/name[@revision]) continues pretraining GPT-2, Qwen3, Llama 3.2 or Gemma 3 (--out required)',
  },
  out: {
    type: 'string',
    value: 'DIR',
    defaultText: "with --model, the run's own directory",
    help: 'where the run is written',
  },
  context: {
    type: 'integer',
    value: 'N',
    min: 1,
    defaultText: "the model's context length, which is also the most",
    help: 'tokens per training window',
  },
  'batch-size': { type: 'integer', value: 'B', min: 1, defaultText: '2', help: 'windows per batch' },
  'val-ratio': {
    type: 'number',
    value: 'R',
    min: 0,
    max: 0.9,
    defaultText: '0.1',
    help: 'share of the text, from its end, held out for validation',
  },
  'no-shuffle': {
    type: 'boolean',
    help: 'keep the training windows in order (default: shuffled, seeded by --seed)',
  },
  ...scheduleFlags({ epochs: '10', lr: '4e-4', evalEvery: '5' }),
  'sample-every': {
    type: 'integer',
    value: 'N',
    min: 1,
    defaultText: 'never',
    help: 'print a generated sample every N steps, from --prompt',
  },
  prompt: {
    type: 'string',
    value: 'TEXT',
    default: 'Every effort moves you',
    help: 'the text samples continue',
  },
  ...recomputeFlags,
} as const satisfies Flags;

export type TrainValues = FlagValues<typeof flags>;

export const train = defineCommand({
  summary: 'pretrain a GPT on a text, or resume a run',
  usage: [
    'scratchgpt train [--data FILE] [--config NAME|FILE.json] --out DIR [options]',
    'scratchgpt train --model DIR|ID [--out DIR] [options]',
  ],
  description: `Pretrains a GPT on a text file (GPT-2 BPE tokens), or resumes a run with --model DIR.
A Qwen3, Llama 3.2 or Gemma 3 checkpoint continues pretraining in its own tokens (the text as one
document: the family's BOS first where it has one, its EOS last; --context at most the model's), into
a run whose checkpoints are Hugging Face ones with the model's tokenizer files.`,
  flags,
  notes: `A resumed run keeps its data, batches, context and seed (giving other values is an error); it may
take a new length, evaluation settings, and optimizer settings (--lr, --weight-decay, --grad-clip,
--warmup-steps, --min-lr) that apply from the next step on.
Ctrl-C finishes the current step, saves, and exits; 'train --model DIR' resumes from there.
With --json: one object per line: {"event":"step","step","loss","lr","tokensSeen","tokensPerSec"}
(with --precision f16 also "lossScale" and "skipped": a step whose gradients overflowed is skipped),
{"event":"eval","step","trainLoss","valLoss"}, {"event":"checkpoint","step","checkpoint"},
{"event":"done","step","reason","checkpoint"}.`,
  run: (values, context) => runTrain(values, context),
});

/** What the command line asks for, checked before any backend starts. */
interface TrainPlan {
  out: string;
  /** The model to continue from, if any, and what its directory holds. */
  from?: { directory: string; contents: DirectoryContents };
  /** The state a resumed run continues from. */
  resume?: TrainingSnapshot;
  /** The model's config: a new model's, or read from the checkpoint without loading its weights. */
  config: GPTConfig;
  run: RunSettings;
  text: string;
}

export async function runTrain(
  values: TrainValues,
  context: CommandContext,
  extra: { signal?: AbortSignal } = {},
): Promise<number> {
  const { output } = context;
  const schedule = readSchedule(values, 'train');
  const sampleEvery = values['sample-every'];
  const { prompt } = values;
  if (prompt.trim() === '') throw new UsageError('train: --prompt is empty: give the text samples continue');
  const source = await modelSourceOf(values, context);
  if (source !== undefined && (await isOpenModelDirectory(source.directory, source.contents))) {
    return trainOpenModel(values, context, { source, schedule, sampleEvery, prompt }, extra);
  }
  const plan = await planRun(values, context, source);
  const { out, run, config } = plan;
  checkResumedSchedule(schedule.options, plan.resume, 'train', out);
  const data = batchesOf(plan.text, run);
  await prepareRunDirectory(out);

  // Only now, with every argument, file and the data checked: the backend, then the model.
  await context.startBackend();
  checkMemory(config, {
    batchSize: run.batchSize,
    tokens: run.context,
    training: true,
    recompute: run.recompute,
  });
  const model = plan.from
    ? (await loadRun(plan.from.directory, plan.from.contents)).model
    : new GPTModel(config);
  model.recompute = run.recompute;
  const tokenizer = gpt2();
  const sample = async () => {
    const promptIds = encodeText(tokenizer, prompt);
    const ids = await generate(model, promptIds.slice(-config.contextLength), { maxNewTokens: 25 });
    return createStreamDecoder(tokenizer)([...promptIds, ...ids]).replace(/\n/g, ' ');
  };
  await runPretraining({
    output,
    out,
    model,
    what: `training into ${out}`,
    data,
    run,
    resume: plan.resume,
    schedule,
    sampleEvery,
    sample,
    save: (snapshot) => saveRun(out, model, snapshot, { task: 'pretrain', run }),
    signal: extra.signal,
  });
  return 0;
}

/** The directory `--model` names (downloaded where it is a Hub id) and what it holds; none without --model. */
async function modelSourceOf(values: TrainValues, context: CommandContext): Promise<ModelSource | undefined> {
  const modelArg = stringFlag(values, 'model');
  if (modelArg === undefined) return undefined;
  if (stringFlag(values, 'config') !== undefined) {
    throw new UsageError('train: give --config (a new model) or --model (an existing one), not both');
  }
  if (outputPathFlag(values, 'out') === undefined && isHubModel(modelArg)) {
    throw new UsageError(
      `train: --out DIR is required with --model ${modelArg}: the Hugging Face cache is never written to`,
    );
  }
  const directory = await resolveModelSource(modelArg, context);
  return { directory, contents: await inspectDirectory(directory, '--model') };
}

/** Checks the flags against each other and against the directories, and reads the text. */
async function planRun(
  values: TrainValues,
  context: CommandContext,
  source: ModelSource | undefined,
): Promise<TrainPlan> {
  const out = outputPathFlag(values, 'out');
  const requested = requestedRunSettings(values, context);

  if (source === undefined) {
    if (out === undefined)
      throw new UsageError('train: --out DIR is required (or --model DIR to resume a run)');
    await checkNewRunDirectory(out);
    const config = await resolveConfig(stringFlag(values, 'config') ?? 'gpt-micro');
    const run = newRunSettings(requested, context, windowLength(config, requested.context));
    return { out, config, run, text: await readText(run.data) };
  }

  const { directory: modelDir, contents } = source;
  if (contents.kind === 'run') {
    const manifest = pretrainManifestOf(contents.manifest, modelDir);
    const target = out ?? modelDir;
    if (target !== modelDir) await checkNewRunDirectory(target);
    const saved = manifest.run;
    checkPretrainResumeFlags(requested, modelDir, manifest);
    const resume = await readRunState(modelDir, manifest);
    const config = await readConfigOf(modelFilesOf(modelDir, contents));
    windowLength(config, saved.context);
    const from = { directory: modelDir, contents };
    return { out: target, from, resume, config, run: saved, text: await readText(saved.data) };
  }
  if (contents.kind === 'checkpoint') {
    if (out === undefined || out === modelDir) {
      throw new UsageError(
        `train: ${modelDir} is a checkpoint, not a run: give --out DIR for the new run that trains on from its weights`,
      );
    }
    await checkNewRunDirectory(out);
    const config = await readConfigOf(modelDir);
    const run = newRunSettings(requested, context, windowLength(config, requested.context));
    return { out, from: { directory: modelDir, contents }, config, run, text: await readText(run.data) };
  }
  // Missing, empty or never completed: says which.
  return modelFilesOf(modelDir, contents) as never;
}

function batchesOf(text: string, run: RunSettings): TextBatches {
  try {
    return textToBatches(text, {
      tokenizer: gpt2(),
      allowedSpecial: 'all',
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

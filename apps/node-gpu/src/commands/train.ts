import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createDataLoader, GPTDataset, splitTrainValidation } from '@scratchgpt/data-loader';
import { type GPTConfig, GPTModel, generate } from '@scratchgpt/gpt-model';
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import {
  type EvalRecord,
  NonFiniteLossError,
  type StepRecord,
  type TrainEvent,
  type TrainingSnapshot,
  trainModel,
} from '@scratchgpt/trainer';
import { type FlagSpec, numberFlag, parseFlags, stringFlag, type Values } from '../args.js';
import { defaultDataPath, readText } from '../data.js';
import { CommandError, UsageError } from '../errors.js';
import { lossPlotSvg } from '../loss-plot.js';
import { contextFor, resolveConfig } from '../model-config.js';
import { checkConfigMemory, isHubModel } from '../model-source.js';
import type { Output } from '../output.js';
import { ProgressBar } from '../progress.js';
import { LOSS_PLOT_FILE, loadRun, saveRun } from '../run-directory.js';
import { createStreamDecoder, encodeText, gpt2 } from '../text-helpers.js';
import type { CommandContext } from './context.js';

export const trainFlags = {
  data: { type: 'string' },
  config: { type: 'string' },
  model: { type: 'string' },
  context: { type: 'string' },
  'batch-size': { type: 'string' },
  epochs: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  'warmup-steps': { type: 'string' },
  'min-lr': { type: 'string' },
  'grad-clip': { type: 'string' },
  'grad-accum': { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-batches': { type: 'string' },
  'val-ratio': { type: 'string' },
  'no-shuffle': { type: 'boolean' },
  'sample-every': { type: 'string' },
  prompt: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  out: { type: 'string' },
} as const satisfies FlagSpec;

export const trainHelp = `scratchgpt train --data FILE [--config NAME|FILE.json | --model DIR] --out DIR [options]

Pretrains a GPT on a text file (GPT-2 BPE tokens), or resumes a run with --model DIR.
  --data FILE            text to train on (default: the bundled The Verdict)
  --config NAME|FILE     a preset (gpt-nano, gpt-micro, gpt-mini, gpt-tiny, gpt2-small…) or a config
                         file (default: gpt-micro)
  --model DIR|ID         continue from a checkpoint; with its training state, resume exactly; a Hub
                         id (gpt2 … gpt2-xl, owner/name[@rev]) continues pretraining it (needs --out)
  --context N            window length (default: the model's context length)
  --batch-size B         windows per batch (default 2)
  --epochs E | --steps S how long to train (default: 10 epochs)
  --lr, --weight-decay   AdamW (defaults 4e-4, 0.1)
  --warmup-steps N, --min-lr X   linear warmup, then cosine decay to --min-lr
  --grad-clip X          clip the global gradient norm from the end of warmup on
  --grad-accum K         micro-batches per optimizer step (default 1)
  --eval-every N         evaluate every N steps (default 5), on --eval-batches batches (default 5)
  --val-ratio R          share of the text held out for validation (default 0.1)
  --no-shuffle           keep the training windows in order
  --sample-every N       print a generated sample every N steps, from --prompt
  --checkpoint-every N   also save every N steps (always saved at the end and on Ctrl-C)
  --out DIR              where to write the checkpoint, training state and loss.svg
Ctrl-C finishes the current step, saves, and exits; --model DIR resumes from there.`;

interface TrainPlan {
  model: GPTModel;
  config: GPTConfig;
  snapshot?: TrainingSnapshot;
  out: string;
}

async function planModel(values: Values, context: CommandContext): Promise<TrainPlan> {
  const modelDir = stringFlag(values, 'model');
  const fromHub = modelDir !== undefined && isHubModel(modelDir);
  const out = stringFlag(values, 'out') ?? (fromHub ? undefined : modelDir);
  if (out === undefined && fromHub)
    throw new UsageError(
      `train: --out DIR is required with --model ${modelDir}: the Hugging Face cache is never written to`,
    );
  if (out === undefined)
    throw new UsageError('train: --out DIR is required (or --model DIR to resume in place)');
  if (modelDir !== undefined) {
    if (stringFlag(values, 'config') !== undefined)
      throw new UsageError('train: give --config or --model, not both');
    const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 2;
    const contextLength = numberFlag(values, 'context', { integer: true, min: 1 });
    const run = await loadRun(modelDir, {
      output: context.output,
      run: { batchSize, ...(contextLength !== undefined ? { contextLength } : {}) },
    });
    context.output.note(
      run.snapshot
        ? `resuming ${modelDir} at step ${run.snapshot.state.step}`
        : `fine-tuning the weights in ${modelDir} (no training state there: a fresh optimizer)`,
    );
    return { model: run.model, config: run.config, ...(run.snapshot ? { snapshot: run.snapshot } : {}), out };
  }
  const configName = stringFlag(values, 'config') ?? 'gpt-micro';
  let config = await resolveConfig(configName);
  const requested = numberFlag(values, 'context', { integer: true, min: 1 });
  if (requested !== undefined) config = { ...config, contextLength: requested };
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 2;
  checkConfigMemory(config, configName, { use: 'train', run: { batchSize } });
  if (existsSync(join(out, 'model.safetensors'))) {
    throw new CommandError(
      `--out ${out} already holds a checkpoint: resume it with --model ${out}, or choose another --out`,
    );
  }
  return { model: new GPTModel(config), config, out };
}

export async function runTrain(
  args: string[],
  context: CommandContext,
  extra: { signal?: AbortSignal } = {},
): Promise<number> {
  const values = parseFlags(args, trainFlags, 'train');
  const { output } = context;
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1 }) ?? 2;
  const epochs = numberFlag(values, 'epochs', { integer: true, min: 1 });
  const steps = numberFlag(values, 'steps', { integer: true, min: 1 });
  if (epochs !== undefined && steps !== undefined)
    throw new UsageError('train: give --epochs or --steps, not both');
  const valRatio = numberFlag(values, 'val-ratio', { min: 0, max: 0.9 }) ?? 0.1;
  const options = {
    lr: numberFlag(values, 'lr', { min: 0, exclusiveMin: true }),
    weightDecay: numberFlag(values, 'weight-decay', { min: 0 }),
    warmupSteps: numberFlag(values, 'warmup-steps', { integer: true, min: 0 }),
    minLr: numberFlag(values, 'min-lr', { min: 0 }),
    gradClip: numberFlag(values, 'grad-clip', { min: 0, exclusiveMin: true }),
    gradAccum: numberFlag(values, 'grad-accum', { integer: true, min: 1 }),
    evalEvery: numberFlag(values, 'eval-every', { integer: true, min: 0 }) ?? 5,
    evalBatches: numberFlag(values, 'eval-batches', { integer: true, min: 1 }) ?? 5,
    sampleEvery: numberFlag(values, 'sample-every', { integer: true, min: 1 }),
    checkpointEvery: numberFlag(values, 'checkpoint-every', { integer: true, min: 1 }),
  };
  const dataPath = stringFlag(values, 'data') ?? defaultDataPath();
  const text = await readText(dataPath);

  await context.startBackend();
  const plan = await planModel(values, context);
  const { model, config, out } = plan;
  const windowLength = contextFor(
    config,
    plan.snapshot ? undefined : numberFlag(values, 'context', { integer: true, min: 1 }),
  );
  const tokenizer = gpt2();
  if (config.vocabSize < tokenizer.vocabSize) {
    throw new CommandError(
      `The model's vocabulary (${config.vocabSize}) is smaller than GPT-2's (${tokenizer.vocabSize}): it cannot train on GPT-2 tokens`,
    );
  }
  const { train, validation } = splitTrainValidation(text, 1 - valRatio);
  const trainIds = encodeText(tokenizer, train);
  const valIds = encodeText(tokenizer, validation);
  const windows = (ids: number[], name: string) => {
    if (ids.length <= windowLength) {
      throw new CommandError(
        `The ${name} text has ${ids.length} tokens, too few for one window of ${windowLength}: ` +
          'use more text, a smaller --context, or a different --val-ratio',
      );
    }
    return new GPTDataset(ids, { maxLength: windowLength, stride: windowLength });
  };
  const trainLoader = createDataLoader(windows(trainIds, 'training'), {
    batchSize,
    shuffle: values['no-shuffle'] !== true,
    seed: context.seed,
  });
  const valLoader =
    valRatio > 0
      ? createDataLoader(windows(valIds, 'validation'), { batchSize, shuffle: false, dropLast: false })
      : undefined;
  output.note(
    `model: ${model.numParameters().toLocaleString('en-US')} parameters; ${trainIds.length.toLocaleString('en-US')} training tokens ` +
      `(${trainLoader.length} batches of ${batchSize}×${windowLength}), ${valIds.length.toLocaleString('en-US')} validation tokens`,
  );

  await mkdir(out, { recursive: true });
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress.log('Stopping after this step and saving… (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onInterrupt);
  extra.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const progress = new ProgressBar(output.isTTY);
  const history: { steps: StepRecord[]; evals: EvalRecord[] } = plan.snapshot
    ? structuredClone(plan.snapshot.state.history)
    : { steps: [], evals: [] };
  const writePlot = () =>
    writeFileAtomic(join(out, LOSS_PLOT_FILE), lossPlotSvg(history.steps, history.evals));
  const prompt = stringFlag(values, 'prompt') ?? 'Every effort moves you';
  const sample = async () => {
    const promptIds = encodeText(tokenizer, prompt);
    const ids = await generate(model, promptIds.slice(-config.contextLength), { maxNewTokens: 25 });
    return createStreamDecoder(tokenizer)([...promptIds, ...ids]).replace(/\n/g, ' ');
  };

  const reporter = new TrainReporter(output, progress);
  const started = performance.now();
  let stepsThisRun = 0;
  try {
    for await (const event of trainModel({
      model,
      train: trainLoader,
      ...(valLoader ? { validation: valLoader } : {}),
      ...definedOnly(options),
      ...(plan.snapshot
        ? { resume: plan.snapshot }
        : definedOnly({ epochs: epochs ?? (steps ? undefined : 10), maxSteps: steps })),
      ...(plan.snapshot ? definedOnly({ epochs, maxSteps: steps }) : {}),
      sample,
      saveCheckpoint: (snapshot) => saveRun(out, model, snapshot),
      signal: controller.signal,
    })) {
      if (event.event === 'step') {
        stepsThisRun++;
        history.steps.push({
          step: event.step,
          tokensSeen: event.tokensSeen,
          loss: event.loss,
          lr: event.lr,
        });
      }
      if (event.event === 'eval') {
        history.evals.push({
          step: event.step,
          tokensSeen: event.tokensSeen,
          trainLoss: event.trainLoss,
          valLoss: event.valLoss,
        });
        await writePlot();
      }
      reporter.report(event, { started, stepsThisRun });
    }
  } catch (error) {
    progress.done();
    if (error instanceof NonFiniteLossError) {
      throw new CommandError(`${error.message} The last good checkpoint is in ${out}.`);
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  await writePlot();
  return 0;
}

/** Turns training events into JSON lines (--json), the progress bar, and log lines for people. */
class TrainReporter {
  #totalSteps = 0;

  constructor(
    private readonly output: Output,
    private readonly progress: ProgressBar,
  ) {}

  report(event: TrainEvent, run: { started: number; stepsThisRun: number }): void {
    const { output, progress } = this;
    switch (event.event) {
      case 'start':
        this.#totalSteps = event.totalSteps;
        if (event.resumed) progress.log(`resumed at step ${event.step} of ${event.totalSteps}`);
        return;
      case 'step':
        output.event({
          event: 'step',
          step: event.step,
          loss: event.loss,
          lr: event.lr,
          tokensSeen: event.tokensSeen,
          tokensPerSec: event.tokensPerSec,
        });
        progress.update({
          step: event.step,
          totalSteps: this.#totalSteps,
          loss: event.loss,
          tokensPerSec: event.tokensPerSec,
          stepsThisRun: run.stepsThisRun,
          secondsThisRun: (performance.now() - run.started) / 1000,
        });
        return;
      case 'eval': {
        output.event({ event: 'eval', step: event.step, trainLoss: event.trainLoss, valLoss: event.valLoss });
        const val = event.valLoss == null ? '' : `, val ${event.valLoss.toFixed(3)}`;
        if (!output.json) {
          progress.log(
            `step ${String(event.step).padStart(5)}: train loss ${event.trainLoss.toFixed(3)}${val} (${event.tokensSeen.toLocaleString('en-US')} tokens seen)`,
          );
        }
        return;
      }
      case 'sample':
        output.event({ event: 'sample', step: event.step, text: event.text });
        if (!output.json) progress.log(`sample at step ${event.step}: ${event.text}`);
        return;
      case 'checkpoint':
        output.event({ event: 'checkpoint', step: event.step, checkpoint: event.location });
        return;
      case 'done':
        progress.done();
        output.event({ event: 'done', step: event.step, reason: event.reason, checkpoint: event.checkpoint });
        if (!output.json) {
          const verb = event.reason === 'aborted' ? 'stopped' : 'finished';
          output.note(
            `${verb} at step ${event.step}; checkpoint in ${event.checkpoint}${event.reason === 'aborted' ? ` (resume with --model ${event.checkpoint})` : ''}`,
          );
        }
        return;
    }
  }
}

function definedOnly<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as never;
}

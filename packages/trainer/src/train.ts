/**
 * The training loop: batches → loss → gradients → (clip) → AdamW, with evaluation, samples and
 * checkpoints, as an async stream of events. The CLI and the browser page are views over these events.
 *
 *   for await (const event of trainModel({ model, train, validation, lr: 4e-4, epochs: 10 })) { … }
 */
import { type Generator, getDefaultGenerator, tf } from '@scratchgpt/tensor';
import { AdamW, preferredMomentsLocation } from './adamw.js';
import type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
import { clipGradNorm } from './clip.js';
import { computeGradients, GradientAccumulator, HostGradientAccumulator } from './gradients.js';
import { countTargets, evaluateModel, languageModelLoss } from './loss.js';
import { lrAtStep } from './schedule.js';
import {
  hostAdamWStateOf,
  type TrainingSnapshot,
  type TrainingState,
  type TrainSettings,
} from './training-state.js';

export interface TrainOptions {
  model: LanguageModel;
  train: BatchSource;
  validation?: BatchSource;
  /** Peak learning rate (default 4e-4, the book's chapter 5). */
  lr?: number;
  /** Decoupled weight decay on every parameter, as the book's AdamW (default 0.1). */
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
  /** Passes over the training batches (default 1). */
  epochs?: number;
  /** Stop after this many optimizer steps instead (or earlier). */
  maxSteps?: number;
  /** Linear warmup from `initialLr`; with warmup or `minLr` the rate then follows a cosine. */
  warmupSteps?: number;
  initialLr?: number;
  minLr?: number;
  /** Clip the global gradient norm to this, from the end of warmup on (the book's appendix D). */
  gradClip?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
  /** Evaluate after the first step and then every `evalEvery` steps (0: only at the end). */
  evalEvery?: number;
  /** Batches of each loader an evaluation reads (default: all). */
  evalBatches?: number;
  /** Produce a text sample every `sampleEvery` steps. */
  sampleEvery?: number;
  sample?: (model: LanguageModel) => Promise<string>;
  /** Save every `checkpointEvery` steps, on abort and at the end. Returns where it saved. */
  checkpointEvery?: number;
  saveCheckpoint?: (snapshot: TrainingSnapshot) => Promise<string>;
  /** Continue a saved run: position, optimizer, schedule, RNG and history. */
  resume?: TrainingSnapshot;
  /** Finishes the step in progress, saves, and ends with `done` (reason 'aborted'). */
  signal?: AbortSignal;
  /** The generator dropout draws from (default: the default generator), saved with the state. */
  generator?: Generator;
  ignoreIndex?: number;
}

export type TrainEvent =
  | {
      event: 'start';
      step: number;
      totalSteps: number;
      stepsPerEpoch: number;
      epochs: number;
      resumed: boolean;
    }
  | {
      event: 'step';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm: number | null;
      tokensSeen: number;
      tokensPerSec: number;
    }
  | { event: 'eval'; step: number; tokensSeen: number; trainLoss: number; valLoss: number | null }
  | { event: 'sample'; step: number; text: string }
  | { event: 'checkpoint'; step: number; location: string }
  | {
      event: 'done';
      step: number;
      tokensSeen: number;
      reason: 'completed' | 'aborted';
      checkpoint: string | null;
      state: TrainingState;
    };

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export async function* trainModel(options: TrainOptions): AsyncGenerator<TrainEvent, void, undefined> {
  const { model, train } = options;
  const settings = options.resume
    ? continuedSettings(options.resume.state.settings, options, train)
    : newSettings(options, train);
  const state: TrainingState = options.resume
    ? structuredClone(options.resume.state)
    : initialState(settings);
  state.settings = settings;
  const generator = options.generator ?? getDefaultGenerator();
  if (options.resume) generator.setState(state.rng);

  const trainable = model.namedParameters().filter(([, variable]) => variable.trainable);
  const optimizer = new AdamW(trainable, {
    lr: settings.lr,
    betas: settings.betas,
    eps: settings.eps,
    weightDecay: settings.weightDecay,
    moments: preferredMomentsLocation(trainable.reduce((n, [, variable]) => n + variable.size, 0)),
  });
  if (options.resume) {
    optimizer.setHostState(hostAdamWStateOf(options.resume));
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const snapshot = async (): Promise<TrainingSnapshot> => {
    const adam = await optimizer.getHostState();
    const parameterSteps = Object.fromEntries([...adam.moments].map(([name, { step }]) => [name, step]));
    state.optimizer = { step: adam.step, lr: adam.lr, parameterSteps };
    state.rng = generator.getState();
    const moments = new Map([...adam.moments].map(([name, { m, v }]) => [name, { m, v }]));
    return { state: structuredClone(state), moments };
  };
  const save = async (): Promise<string | null> =>
    options.saveCheckpoint ? options.saveCheckpoint(await snapshot()) : null;

  const stepsPerEpoch = Math.ceil(train.length / settings.gradAccum);
  yield {
    event: 'start',
    step: state.step,
    totalSteps: settings.totalSteps,
    stepsPerEpoch,
    epochs: settings.epochs,
    resumed: options.resume != null,
  };
  model.train();
  let lastEvalStep = -1;
  let checkpoint: string | null = null;
  try {
    while (state.step < settings.totalSteps && state.epoch < settings.epochs) {
      let group: TrainBatch[] = [];
      let position = state.batchInEpoch;
      for (const batch of train.batches(state.epoch, state.batchInEpoch)) {
        group.push(batch);
        position++;
        if (group.length < settings.gradAccum && position < train.length) continue;

        const started = performance.now();
        const lr = learningRate(state.step, settings);
        optimizer.lr = lr;
        const { loss, gradNorm } = await optimizationStep(model, optimizer, group, {
          clip: settings.gradClip != null && state.step >= settings.warmupSteps ? settings.gradClip : null,
          ignoreIndex,
          step: state.step,
          lr,
        });
        const tokens = group.reduce((n, b) => n + b.batchSize * b.length, 0);
        state.step++;
        state.batchInEpoch = position;
        state.tokensSeen += tokens;
        state.history.steps.push({ step: state.step, tokensSeen: state.tokensSeen, loss, lr });
        const seconds = (performance.now() - started) / 1000;
        yield {
          event: 'step',
          step: state.step,
          epoch: state.epoch,
          loss,
          lr,
          gradNorm,
          tokensSeen: state.tokensSeen,
          tokensPerSec: tokens / seconds,
        };
        group = [];
        // A macrotask boundary: signals (Ctrl-C) and worker messages (stop) are delivered only here,
        // since a step on wasm or cpu never leaves the microtask queue.
        await new Promise((resolve) => setTimeout(resolve, 0));

        if (settings.evalEvery > 0 && (state.step - 1) % settings.evalEvery === 0) {
          yield await evaluation(model, options, state);
          lastEvalStep = state.step;
        }
        if (options.sample && options.sampleEvery && state.step % options.sampleEvery === 0) {
          yield { event: 'sample', step: state.step, text: await options.sample(model) };
          model.train();
        }
        if (options.saveCheckpoint && options.checkpointEvery && state.step % options.checkpointEvery === 0) {
          checkpoint = await save();
          if (checkpoint != null) yield { event: 'checkpoint', step: state.step, location: checkpoint };
        }
        if (options.signal?.aborted || state.step >= settings.totalSteps) break;
      }
      if (options.signal?.aborted) {
        checkpoint = await save();
        if (checkpoint != null) yield { event: 'checkpoint', step: state.step, location: checkpoint };
        yield {
          event: 'done',
          step: state.step,
          tokensSeen: state.tokensSeen,
          reason: 'aborted',
          checkpoint,
          state: structuredClone(state),
        };
        return;
      }
      if (state.batchInEpoch >= train.length) {
        state.epoch++;
        state.batchInEpoch = 0;
      }
    }
    if (lastEvalStep !== state.step && (options.validation || settings.evalEvery > 0)) {
      yield await evaluation(model, options, state);
    }
    checkpoint = await save();
    if (checkpoint != null) yield { event: 'checkpoint', step: state.step, location: checkpoint };
    yield {
      event: 'done',
      step: state.step,
      tokensSeen: state.tokensSeen,
      reason: 'completed',
      checkpoint,
      state: structuredClone(state),
    };
  } finally {
    optimizer.dispose();
  }
}

/** One optimizer step over a group of micro-batches; the loss is their token-weighted mean. */
async function optimizationStep(
  model: LanguageModel,
  optimizer: AdamW,
  group: TrainBatch[],
  options: { clip: number | null; ignoreIndex: number; step: number; lr: number },
): Promise<{ loss: number; gradNorm: number | null }> {
  // With the optimizer's moments on the host (a wasm heap near its limit), sums go there too.
  const accumulator =
    group.length <= 1
      ? undefined
      : optimizer.moments === 'host'
        ? new HostGradientAccumulator()
        : new GradientAccumulator();
  let grads: Map<string, tf.Tensor> | undefined;
  let weightedLoss = 0;
  let tokens = 0;
  try {
    for (const batch of group) {
      const count = countTargets(batch, options.ignoreIndex);
      const result = computeGradients(model, () =>
        tf.tidy(() => {
          const shape: [number, number] = [batch.batchSize, batch.length];
          const inputs = tf.tensor2d(batch.inputs, shape, 'int32');
          const targets = tf.tensor2d(batch.targets, shape, 'int32');
          return languageModelLoss(model, inputs, targets, { ignoreIndex: options.ignoreIndex });
        }),
      );
      const loss = (await result.loss.data())[0] as number;
      result.loss.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose([...result.grads.values()]);
        throw new NonFiniteLossError(
          `The loss became ${loss} at step ${options.step + 1} (learning rate ${options.lr.toPrecision(3)}); ` +
            'the weights were not updated. Lower the learning rate or clip gradients (gradClip), then resume ' +
            'from the last checkpoint.',
        );
      }
      weightedLoss += loss * count;
      tokens += count;
      if (accumulator) {
        accumulator.add(result.grads, count);
        tf.dispose([...result.grads.values()]);
      } else {
        grads = result.grads;
      }
    }
    if (accumulator) grads = accumulator.average();
    let gradNorm: number | null = null;
    if (options.clip != null && grads) {
      const clipped = clipGradNorm(grads, options.clip);
      gradNorm = (await clipped.norm.data())[0] as number;
      clipped.norm.dispose();
      tf.dispose([...grads.values()]);
      grads = clipped.grads;
    }
    if (grads) optimizer.step(grads);
    return { loss: tokens === 0 ? 0 : weightedLoss / tokens, gradNorm };
  } finally {
    accumulator?.dispose();
    if (grads) tf.dispose([...grads.values()]);
  }
}

async function evaluation(
  model: LanguageModel,
  options: TrainOptions,
  state: TrainingState,
): Promise<TrainEvent> {
  const { trainLoss, valLoss } = await evaluateModel(
    model,
    options.train,
    options.validation,
    options.evalBatches,
  );
  state.history.evals.push({ step: state.step, tokensSeen: state.tokensSeen, trainLoss, valLoss });
  return { event: 'eval', step: state.step, tokensSeen: state.tokensSeen, trainLoss, valLoss };
}

function learningRate(step: number, settings: TrainSettings): number {
  if (settings.schedule === 'constant') return settings.lr;
  return lrAtStep(step, {
    peakLr: settings.lr,
    initialLr: settings.initialLr,
    minLr: settings.minLr,
    warmupSteps: settings.warmupSteps,
    totalSteps: Math.max(settings.totalSteps, settings.warmupSteps + 1),
  });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

function newSettings(options: TrainOptions, train: BatchSource): TrainSettings {
  const lr = options.lr ?? 4e-4;
  if (!(lr > 0)) throw new RangeError(`lr must be a number > 0, got ${lr}`);
  const gradAccum = positiveInteger('gradAccum', options.gradAccum ?? 1);
  const epochs = positiveInteger(
    'epochs',
    options.epochs ?? (options.maxSteps != null ? Number.MAX_SAFE_INTEGER : 1),
  );
  const stepsPerEpoch = Math.ceil(train.length / gradAccum);
  const byEpochs = epochs === Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : epochs * stepsPerEpoch;
  const totalSteps = Math.min(
    byEpochs,
    options.maxSteps == null ? byEpochs : positiveInteger('maxSteps', options.maxSteps),
  );
  const warmupSteps = options.warmupSteps ?? 0;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    throw new RangeError(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  if (options.gradClip != null && !(options.gradClip > 0))
    throw new RangeError(`gradClip must be > 0, got ${options.gradClip}`);
  const cosine = warmupSteps > 0 || options.minLr != null;
  return {
    lr,
    weightDecay: options.weightDecay ?? 0.1,
    betas: options.betas ?? [0.9, 0.999],
    eps: options.eps ?? 1e-8,
    warmupSteps,
    initialLr: options.initialLr ?? (cosine ? 0 : lr),
    minLr: options.minLr ?? (cosine ? 0 : lr),
    schedule: cosine ? 'cosine' : 'constant',
    gradClip: options.gradClip ?? null,
    gradAccum,
    totalSteps,
    epochs,
    evalEvery: options.evalEvery ?? 0,
  };
}

/** A resumed run keeps its hyperparameters; it may be given more epochs or steps. */
function continuedSettings(saved: TrainSettings, options: TrainOptions, train: BatchSource): TrainSettings {
  const settings = { ...saved };
  if (options.epochs != null) {
    settings.epochs = positiveInteger('epochs', options.epochs);
    settings.totalSteps = settings.epochs * Math.ceil(train.length / settings.gradAccum);
  }
  if (options.maxSteps != null) settings.totalSteps = positiveInteger('maxSteps', options.maxSteps);
  if (options.evalEvery != null) settings.evalEvery = options.evalEvery;
  return settings;
}

function initialState(settings: TrainSettings): TrainingState {
  return {
    version: 1,
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    tokensSeen: 0,
    rng: [1, 0, 0, 0],
    optimizer: { step: 0, lr: settings.lr, parameterSteps: {} },
    settings,
    history: { steps: [], evals: [] },
  };
}

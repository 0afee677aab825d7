/**
 * The training loop: batches → loss → gradients → (clip) → AdamW, with evaluation, samples and
 * checkpoints, as an async stream of events. The CLI and the browser page are views over these events.
 *
 *   for await (const event of trainModel({ model, train, validation, lr: 4e-4, epochs: 10 })) { … }
 *
 * What is minimised is an `Objective` (default: next-token cross-entropy), so fine-tuning runs the
 * same loop with its own loss.
 */
import {
  type AutocastPrecision,
  autocast,
  dropoutGenerator,
  type Generator,
  type Module,
  setDropoutGenerator,
  tf,
} from '@scratchgpt/tensor';
import { AdamW } from './adamw.js';
import type { BatchSource, LanguageModel, TrainBatch } from './batches.js';
import { clipGradNorm } from './clip.js';
import { evaluationStream } from './evaluate.js';
import { firstNonFinite, firstNonFiniteMoment, NonFiniteWeightsError } from './finite-check.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { computeGradients } from './gradients.js';
import { defaultObjective } from './loss.js';
import { LossScaler } from './loss-scaler.js';
import type { Objective, SizedBatch } from './objective.js';
import { lrAtStep } from './schedule.js';
import { checkResumePosition, continuedSettings, newSettings, type SettingsOptions } from './settings.js';
import {
  hostAdamWStateOf,
  type TrainingSnapshot,
  type TrainingState,
  type TrainSettings,
} from './training-state.js';

export interface TrainOptions<M extends Module = LanguageModel, B extends SizedBatch = TrainBatch>
  extends SettingsOptions {
  model: M;
  train: BatchSource<B>;
  validation?: BatchSource<B>;
  /** What to minimise (default: next-token cross-entropy; needs `TrainBatch`es and a `LanguageModel`). */
  objective?: Objective<M, B>;
  /** Peak learning rate (default 4e-4, the book's chapter 5). */
  lr?: number;
  /** Decoupled weight decay on every parameter, as the book's AdamW (default 0.1). */
  weightDecay?: number;
  /** Passes over the training batches (default 1). */
  epochs?: number;
  /** Stop after this many optimizer steps instead (or earlier). */
  maxSteps?: number;
  /** Linear warmup from `initialLr`; with warmup or `minLr` the rate then follows a cosine. */
  warmupSteps?: number;
  /** Clip the global gradient norm to this, from the end of warmup on (the book's appendix D). */
  gradClip?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
  /**
   * Steps count from 1. Evaluate after step 1 and then every `evalEvery` steps (1, 1 + N, 1 + 2N, …:
   * the book's schedule), and after the last step; 0: only after the last step.
   */
  evalEvery?: number;
  /** Batches of each loader an evaluation reads (default: all). */
  evalBatches?: number;
  /** Produce a text sample every `sampleEvery` steps. */
  sampleEvery?: number;
  sample?: (model: M) => Promise<string>;
  /** Save every `checkpointEvery` steps, on abort and at the end. Returns where it saved. */
  checkpointEvery?: number;
  saveCheckpoint?: (snapshot: TrainingSnapshot) => Promise<string>;
  /** Continue a saved run: position, optimizer, schedule, RNG and history. */
  resume?: TrainingSnapshot;
  /** Finishes the step in progress, saves, and ends with `done` (reason 'aborted'). */
  signal?: AbortSignal;
  /**
   * The generator dropout draws from, saved with the state. Default: the one the model's dropout
   * layers already use; a generator given here replaces it in every dropout layer.
   */
  generator?: Generator;
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
  /**
   * Work inside a step, for slow steps: the micro-batches whose gradients are done (from 0 of them, as
   * the step starts), then the update; or the evaluation batches read (from 0). `step` is the step in
   * progress, or the step just evaluated (steps count from 1).
   */
  | {
      event: 'progress';
      step: number;
      phase: 'gradients' | 'update' | 'evaluation';
      done: number;
      total: number;
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
      /**
       * With loss scaling (precision 'f16'): the scale the next step multiplies its loss by, and whether
       * this step's gradients overflowed, so that it was skipped (no update) and the scale halved.
       */
      lossScale?: number;
      skipped?: boolean;
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

type ProgressEvent = Extract<TrainEvent, { event: 'progress' }>;

/** The loss stopped being a finite number: the step's update was not applied. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';

  constructor(
    /** The step that failed (steps count from 1). */
    readonly step: number,
    readonly loss: number,
    readonly lr: number,
  ) {
    super(
      `The loss became ${loss} at step ${step} (learning rate ${lr.toPrecision(3)}); the weights were not ` +
        'updated. Lower the learning rate or clip the gradient norm (gradClip), then resume from the last ' +
        'checkpoint.',
    );
  }
}

export async function* trainModel<M extends Module = LanguageModel, B extends SizedBatch = TrainBatch>(
  options: TrainOptions<M, B>,
): AsyncGenerator<TrainEvent, void, undefined> {
  const { model, train, signal } = options;
  const objective = options.objective ?? defaultObjective<M, B>();
  const settings = options.resume
    ? continuedSettings(options.resume.state.settings, options, train)
    : newSettings(options, train);
  if (options.resume) checkResumePosition(options.resume.state, train);
  const state: TrainingState = options.resume
    ? structuredClone(options.resume.state)
    : initialState(settings);
  state.settings = settings;
  // Dropout must draw from the generator whose state is saved, or a resumed run would see other masks.
  const generator = options.generator ?? dropoutGenerator(model);
  setDropoutGenerator(model, generator);
  if (options.resume) generator.setState(state.rng);

  const trainable = model.namedParameters().filter(([, variable]) => variable.trainable);
  const optimizer = new AdamW(trainable, {
    lr: settings.lr,
    betas: settings.betas,
    eps: settings.eps,
    weightDecay: settings.weightDecay,
  });
  if (options.resume) optimizer.setHostState(hostAdamWStateOf(options.resume));
  // Half precision's gradients need loss scaling; bfloat16 has float32's exponent range and does not.
  const scaler = settings.precision === 'f16' ? new LossScaler() : undefined;
  if (scaler && state.lossScaler) scaler.setState(state.lossScaler);

  let lastEvalStep = -1;
  /** Saves (when the caller saves) and reports where. */
  async function* checkpoint(): AsyncGenerator<TrainEvent, string | null> {
    if (!options.saveCheckpoint) return null;
    const snapshot = await snapshotOf(state, optimizer, generator);
    const broken = firstNonFiniteMoment(snapshot.moments);
    if (broken) throw new NonFiniteWeightsError(state.step, broken, optimizer.lr);
    const location = await options.saveCheckpoint(snapshot);
    yield { event: 'checkpoint', step: state.step, location };
    return location;
  }
  async function* finish(reason: 'completed' | 'aborted'): AsyncGenerator<TrainEvent> {
    const location = yield* checkpoint();
    const { step, tokensSeen } = state;
    yield { event: 'done', step, tokensSeen, reason, checkpoint: location, state: structuredClone(state) };
  }
  async function* evaluation(): AsyncGenerator<TrainEvent> {
    const stream = evaluationStream(model, train, options.validation, {
      objective,
      ...(options.evalBatches != null ? { evalBatches: options.evalBatches } : {}),
      ...(signal ? { signal } : {}),
    });
    let next = await stream.next();
    for (; !next.done; next = await stream.next()) {
      yield { event: 'progress', step: state.step, phase: 'evaluation', ...next.value };
    }
    const losses = next.value;
    if (losses == null) return; // stopped part-way: no figure to report
    state.history.evals.push({ step: state.step, tokensSeen: state.tokensSeen, ...losses });
    yield { event: 'eval', step: state.step, tokensSeen: state.tokensSeen, ...losses };
    lastEvalStep = state.step;
  }

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
  try {
    while (state.step < settings.totalSteps && state.epoch < settings.epochs) {
      for (const { group, nextBatch } of microBatchGroups(train, state, settings.gradAccum)) {
        // --- one optimizer step over a group of micro-batches
        const started = performance.now();
        const lr = learningRate(state.step, settings);
        optimizer.lr = lr;
        const clip =
          settings.gradClip != null && state.step >= settings.warmupSteps ? settings.gradClip : null;
        const { loss, gradNorm, skipped } = yield* optimizationStep(model, objective, optimizer, group, {
          clip,
          step: state.step + 1,
          lr,
          precision: settings.precision,
          scaler,
        });
        if (scaler) state.lossScaler = scaler.state();
        const broken = await firstNonFinite(trainable);
        if (broken) throw new NonFiniteWeightsError(state.step + 1, broken, lr);
        const tokens = group.reduce((n, batch) => n + batch.batchSize * batch.length, 0);
        state.step++;
        state.batchInEpoch = nextBatch;
        state.tokensSeen += tokens;
        state.history.steps.push({ step: state.step, tokensSeen: state.tokensSeen, loss, lr });
        const tokensPerSec = tokens / ((performance.now() - started) / 1000);
        const { step, epoch, tokensSeen } = state;
        const scaling = scaler ? { lossScale: scaler.scale, skipped } : {};
        yield { event: 'step', step, epoch, loss, lr, gradNorm, tokensSeen, tokensPerSec, ...scaling };
        // A macrotask boundary: signals (Ctrl-C) and worker messages (stop) are delivered only here,
        // since a step on wasm or cpu never leaves the microtask queue.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (signal?.aborted) break;

        // --- evaluation, samples, checkpoints
        if (settings.evalEvery > 0 && (state.step - 1) % settings.evalEvery === 0) yield* evaluation();
        if (
          options.sample &&
          options.sampleEvery &&
          state.step % options.sampleEvery === 0 &&
          !signal?.aborted
        ) {
          yield { event: 'sample', step: state.step, text: await options.sample(model) };
          model.train();
        }
        if (options.checkpointEvery && state.step % options.checkpointEvery === 0) yield* checkpoint();
        if (signal?.aborted || state.step >= settings.totalSteps) break;
      }
      if (signal?.aborted) {
        yield* finish('aborted');
        return;
      }
      if (state.batchInEpoch >= train.length) {
        state.epoch++;
        state.batchInEpoch = 0;
      }
    }
    if (lastEvalStep !== state.step && (options.validation || settings.evalEvery > 0)) yield* evaluation();
    yield* finish(signal?.aborted ? 'aborted' : 'completed');
  } finally {
    optimizer.dispose();
  }
}

/**
 * The rest of the current epoch as groups of `gradAccum` micro-batches (the last group may be
 * shorter), each with the batch index the next group starts at.
 */
function* microBatchGroups<B extends SizedBatch>(
  train: BatchSource<B>,
  state: TrainingState,
  gradAccum: number,
): IterableIterator<{ group: B[]; nextBatch: number }> {
  let group: B[] = [];
  let position = state.batchInEpoch;
  for (const batch of train.batches(state.epoch, state.batchInEpoch)) {
    group.push(batch);
    position++;
    if (group.length < gradAccum && position < train.length) continue;
    yield { group, nextBatch: position };
    group = [];
  }
}

interface StepOptions {
  clip: number | null;
  step: number;
  lr: number;
  /** The products of the forward and backward passes run in this precision (`autocast`). */
  precision: AutocastPrecision;
  /** With loss scaling: gradients unscaled before clipping, and the step skipped when they overflow. */
  scaler: LossScaler | undefined;
}

/**
 * One optimizer step over a group of micro-batches; the loss is their target-weighted mean (unscaled).
 */
async function* optimizationStep<M extends Module, B extends SizedBatch>(
  model: M,
  objective: Objective<M, B>,
  optimizer: AdamW,
  group: B[],
  options: StepOptions,
): AsyncGenerator<ProgressEvent, { loss: number; gradNorm: number | null; skipped: boolean }> {
  const { step, scaler } = options;
  const scale = scaler?.scale ?? 1;
  // With the optimizer's moments on the host (a heap near its limit), the sums go there too.
  const accumulator =
    group.length > 1 ? new GradientAccumulator({ storage: optimizer.moments.location }) : undefined;
  let grads: Map<string, tf.Tensor> | undefined;
  let weightedLoss = 0;
  let targets = 0;
  try {
    yield { event: 'progress', step, phase: 'gradients', done: 0, total: group.length };
    for (const [index, batch] of group.entries()) {
      const count = objective.countTargets(batch);
      const result = autocast(options.precision, () =>
        computeGradients(model, () => {
          const loss = objective.loss(model, batch, 'mean');
          return scale === 1 ? loss : tf.mul(loss, scale);
        }),
      );
      // The scale is a power of two: dividing by it gives the loss back exactly.
      const loss = ((await result.loss.data())[0] as number) / scale;
      result.loss.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose([...result.grads.values()]);
        throw new NonFiniteLossError(step, loss, options.lr);
      }
      weightedLoss += loss * count;
      targets += count;
      if (accumulator) {
        accumulator.add(result.grads, count);
        tf.dispose([...result.grads.values()]);
      } else {
        grads = result.grads;
      }
      yield { event: 'progress', step, phase: 'gradients', done: index + 1, total: group.length };
    }
    if (accumulator) grads = accumulator.average();
    let skipped = false;
    if (scaler && grads) {
      // Unscaled before clipping, so the norm and the limit are the gradients' own.
      const unscaled = await scaler.unscale(grads);
      tf.dispose([...grads.values()]);
      grads = unscaled.grads;
      skipped = !unscaled.finite;
      scaler.update(unscaled.finite);
    }
    const loss = targets === 0 ? 0 : weightedLoss / targets;
    if (skipped) return { loss, gradNorm: null, skipped };
    let gradNorm: number | null = null;
    if (options.clip != null && grads) {
      const clipped = clipGradNorm(grads, options.clip);
      gradNorm = (await clipped.norm.data())[0] as number;
      clipped.norm.dispose();
      tf.dispose([...grads.values()]);
      grads = clipped.grads;
    }
    yield { event: 'progress', step, phase: 'update', done: 0, total: 1 };
    if (grads) optimizer.step(grads);
    return { loss, gradNorm, skipped };
  } finally {
    accumulator?.dispose();
    if (grads) tf.dispose([...grads.values()]);
  }
}

async function snapshotOf(
  state: TrainingState,
  optimizer: AdamW,
  generator: Generator,
): Promise<TrainingSnapshot> {
  const adam = await optimizer.getHostState();
  const parameterSteps = Object.fromEntries([...adam.moments].map(([name, { step }]) => [name, step]));
  state.optimizer = { step: adam.step, lr: adam.lr, parameterSteps };
  state.rng = generator.getState();
  const moments = new Map([...adam.moments].map(([name, { m, v }]) => [name, { m, v }]));
  return { state: structuredClone(state), moments };
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

function initialState(settings: TrainSettings): TrainingState {
  return {
    version: 2,
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

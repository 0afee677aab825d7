/**
 * Everything a run needs to continue exactly where it stopped, besides the model's weights: the
 * position in the data, the optimizer's moments and step counts, the learning-rate settings, the
 * dropout RNG and the loss history. Stored as one safetensors file: the moments as tensors, the rest
 * as JSON in its metadata.
 */
import {
  type AutocastPrecision,
  type GeneratorState,
  type HostTensor,
  parseSafetensors,
  parseStrictJson,
  SafetensorsError,
  serializeSafetensors,
} from '@scratchgpt/tensor';
import type { HostAdamWState } from './adamw.js';
import { allFinite } from './finite-check.js';
import type { LossScalerState } from './loss-scaler.js';
import { checkTrainingState } from './training-state-schema.js';

/** The training state's file name in a run's checkpoint directory, beside `model.safetensors`. */
export const TRAINING_STATE_FILE = 'training-state.safetensors';

export interface StepRecord {
  step: number;
  tokensSeen: number;
  loss: number;
  lr: number;
}

export interface EvalRecord {
  step: number;
  tokensSeen: number;
  trainLoss: number;
  valLoss: number | null;
}

export interface TrainingHistory {
  steps: StepRecord[];
  evals: EvalRecord[];
}

/** The hyperparameters a run was started with; resuming continues with them. */
export interface TrainSettings {
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  warmupSteps: number;
  initialLr: number;
  minLr: number;
  /** 'cosine' after warmup, or 'constant' (the book's chapter 5). */
  schedule: 'cosine' | 'constant';
  gradClip: number | null;
  gradAccum: number;
  totalSteps: number;
  epochs: number;
  /**
   * Evaluate after step 1 and then every `evalEvery` steps (1, 1 + N, 1 + 2N, …: the book's schedule)
   * and at the end; 0: only at the end.
   */
  evalEvery: number;
  /** Rows per batch of the training data. */
  batchSize: number;
  /** Positions per row of the training data, when every batch has the same; else null. */
  maxLength: number | null;
  /**
   * The precision of the products in each step's forward and backward passes (`autocast`); weights and
   * optimizer stay float32. States saved before it existed read as 'f32'.
   */
  precision: AutocastPrecision;
}

export interface TrainingState {
  version: 2;
  /** Optimizer steps completed. */
  step: number;
  /** The epoch and the batch within it where the next step starts. */
  epoch: number;
  batchInEpoch: number;
  tokensSeen: number;
  /** The dropout generator's state. */
  rng: GeneratorState;
  optimizer: { step: number; lr: number; parameterSteps: Record<string, number> };
  settings: TrainSettings;
  history: TrainingHistory;
  /** The loss scaler's state, in runs with precision 'f16'. */
  lossScaler?: LossScalerState;
}

/** A training state with the optimizer's moments on the host. */
export interface TrainingSnapshot {
  state: TrainingState;
  moments: Map<string, { m: HostTensor; v: HostTensor }>;
}

export class TrainingStateError extends Error {
  override name = 'TrainingStateError';
}

const EXP_AVG = '.exp_avg';
const EXP_AVG_SQ = '.exp_avg_sq';

/** The snapshot's optimizer part, for `AdamW.setHostState`. */
export function hostAdamWStateOf(snapshot: TrainingSnapshot): HostAdamWState {
  const moments = new Map<string, { m: HostTensor; v: HostTensor; step: number }>();
  for (const [name, { m, v }] of snapshot.moments) {
    const step = snapshot.state.optimizer.parameterSteps[name];
    if (step == null)
      throw new TrainingStateError(`The training state has moments for '${name}' but no step count`);
    moments.set(name, { m, v, step });
  }
  return { step: snapshot.state.optimizer.step, lr: snapshot.state.optimizer.lr, moments };
}

export function serializeTrainingState(snapshot: TrainingSnapshot): Uint8Array {
  const tensors = new Map<string, HostTensor>();
  for (const [name, { m, v }] of snapshot.moments) {
    tensors.set(name + EXP_AVG, m);
    tensors.set(name + EXP_AVG_SQ, v);
  }
  return serializeSafetensors(tensors, {
    format: 'scratchgpt-training-state',
    state: JSON.stringify(snapshot.state),
  });
}

export function parseTrainingState(
  bytes: Uint8Array,
  source: string = TRAINING_STATE_FILE,
): TrainingSnapshot {
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes, source);
  } catch (error) {
    if (error instanceof SafetensorsError) throw new TrainingStateError(error.message);
    throw error;
  }
  const text = file.metadata.state;
  if (text == null) throw new TrainingStateError(`${source} has no training state in its metadata`);
  let json: unknown;
  try {
    json = parseStrictJson(text, { maxDepth: 8 });
  } catch (error) {
    throw new TrainingStateError(
      `${source} holds a training state that is not valid JSON (${(error as Error).message})`,
    );
  }
  const state = checkTrainingState(json, (problem) => new TrainingStateError(`${source}: ${problem}`));
  const moments = new Map<string, { m: HostTensor; v: HostTensor }>();
  for (const [name, tensor] of file.tensors) {
    if (!(tensor.data instanceof Float32Array))
      throw new TrainingStateError(`${source}: '${name}' is not a float tensor`);
    if (!allFinite(tensor.data)) {
      throw new TrainingStateError(
        `${source}: '${name}' holds infinities or NaN (the run had diverged): resume from an earlier checkpoint or start again`,
      );
    }
    const isSquare = name.endsWith(EXP_AVG_SQ);
    const parameter = name.slice(0, name.length - (isSquare ? EXP_AVG_SQ : EXP_AVG).length);
    if (!isSquare && !name.endsWith(EXP_AVG))
      throw new TrainingStateError(`${source}: unexpected tensor '${name}'`);
    const entry = moments.get(parameter) ?? ({} as { m: HostTensor; v: HostTensor });
    entry[isSquare ? 'v' : 'm'] = { shape: tensor.shape, data: tensor.data };
    moments.set(parameter, entry);
  }
  for (const [name, entry] of moments) {
    if (entry.m == null || entry.v == null)
      throw new TrainingStateError(`${source}: '${name}' lacks one of its two moments`);
    if (entry.m.shape.join() !== entry.v.shape.join()) {
      throw new TrainingStateError(`${source}: the two moments of '${name}' have different shapes`);
    }
  }
  // Every parameter the optimizer has stepped has both moments, and no others: a missing pair would
  // silently restart that parameter's moments from zero.
  const stepped = Object.keys(state.optimizer.parameterSteps);
  const missing = stepped.filter((name) => !moments.has(name));
  const extra = [...moments.keys()].filter((name) => !Object.hasOwn(state.optimizer.parameterSteps, name));
  if (missing.length > 0 || extra.length > 0) {
    const names = (list: string[]) =>
      list
        .slice(0, 3)
        .map((n) => `'${n}'`)
        .join(', ') + (list.length > 3 ? ', …' : '');
    throw new TrainingStateError(
      `${source}: ${missing.length > 0 ? `no moments for ${names(missing)}, which the optimizer has stepped` : `moments for ${names(extra)}, which the optimizer never stepped`}`,
    );
  }
  return { state, moments };
}

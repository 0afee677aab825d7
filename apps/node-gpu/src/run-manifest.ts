/**
 * `checkpoint.json`: which checkpoint of a run is current, what the run trains (`task`: pretrain,
 * instruct, dpo or classify, each with its own settings), and how it cut its data into batches, so a
 * resumed run sees the same batches. Checked field by field: a hand-edited or damaged manifest is an
 * error that names the field.
 */
import type { AutocastPrecision, HalfPrecision, RecomputeMode } from '@scratchgpt/tensor';
import { type ClassifyRunSettings, parseClassifyRunSettings } from './classify-run-settings.js';
import { type DpoRunSettings, parseDpoSettings } from './dpo-settings.js';
import { CommandError } from './errors.js';
import { type InstructRunSettings, parseInstructSettings } from './instruct-settings.js';
import { parseRecompute } from './recompute-flags.js';

/** How `train` turned its text into batches; a resumed run reuses it. */
export interface RunSettings {
  /** The text file, as given. */
  data: string;
  /** Share of the text held out for validation. */
  valRatio: number;
  /** Tokens per window. */
  context: number;
  batchSize: number;
  shuffle: boolean;
  /** Seeds the order of the training windows. */
  seed: number;
  /** Whether the blocks' activations are recomputed in the backward pass (`--recompute`). */
  recompute: RecomputeMode;
}

interface ManifestBase {
  format: 'scratchgpt-run';
  version: 1;
  /** Optimizer steps done at the current checkpoint. */
  step: number;
  /** The current checkpoint, relative to the run directory: `checkpoints/step-NNNNNN`. */
  checkpoint: string;
  /** The products' precision in training (`--precision`); manifests written before it say f32. */
  precision: AutocastPrecision;
  /**
   * How the frozen base under LoRA updates is stored while training, where it is in 16 bits
   * (`--lora-rank` with `--precision f16|bf16`); absent: f32. The saved weights are its values.
   */
  baseWeights?: HalfPrecision;
}

/** A pretraining run (`train`). */
export interface PretrainManifest extends ManifestBase {
  task: 'pretrain';
  run: RunSettings;
}

/** An instruction-tuning run (`instruct train`): `run.data` is the instruction file, `run.context` the longest batch. */
export interface InstructManifest extends ManifestBase {
  task: 'instruct';
  run: RunSettings;
  instruct: InstructRunSettings;
}

/**
 * A preference-tuning run (`instruct dpo`): `run.data` is the preference file; `instruct` says how it
 * prompts (the model it started from's format), so `respond` and `chat` read it as an instruction run.
 */
export interface DpoManifest extends ManifestBase {
  task: 'dpo';
  run: RunSettings;
  instruct: InstructRunSettings;
  dpo: DpoRunSettings;
}

/** A classifier fine-tuning run (`classify train`). */
export interface ClassifyManifest extends ManifestBase {
  task: 'classify';
  run: ClassifyRunSettings;
}

export type RunManifest = PretrainManifest | InstructManifest | DpoManifest | ClassifyManifest;

/** What a run records of itself beside its current checkpoint: its task and that task's settings. */
export type RunTask =
  | Pick<PretrainManifest, 'task' | 'run'>
  | Pick<InstructManifest, 'task' | 'run' | 'instruct'>
  | Pick<DpoManifest, 'task' | 'run' | 'instruct' | 'dpo'>
  | Pick<ClassifyManifest, 'task' | 'run'>;

/**
 * Reads `checkpoint.json`. Manifests written before `task` named every kind of run still load: one
 * without `task` is a pretraining run, or an instruction-tuning run where it has `instruct`.
 */
export function parseRunManifest(text: string, source: string): RunManifest {
  const fail = (problem: string): never => {
    throw new CommandError(
      `${source}: ${problem}; the run cannot resume (delete the run directory to start again)`,
    );
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  if (!isRecord(json)) return fail('not a JSON object');
  if (json.format !== 'scratchgpt-run') return fail(`"format" must be "scratchgpt-run"`);
  if (json.version !== 1)
    return fail(`"version" ${JSON.stringify(json.version)} is not one this scratchgpt reads (1)`);
  const step = json.step;
  if (!Number.isSafeInteger(step) || (step as number) < 0) return fail(`"step" must be an integer ≥ 0`);
  const checkpoint = json.checkpoint;
  if (typeof checkpoint !== 'string' || !/^checkpoints\/step-\d{6,}$/.test(checkpoint)) {
    return fail(`"checkpoint" must name a step directory (checkpoints/step-NNNNNN)`);
  }
  const run = json.run;
  if (!isRecord(run)) return fail(`"run" must be an object`);
  const precision = json.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16' && precision !== 'bf16')
    return fail(`"precision" must be "f32", "f16" or "bf16"`);
  const baseWeights = json.baseWeights;
  if (baseWeights !== undefined && baseWeights !== precision)
    return fail(`"baseWeights" must be the run's "precision" (${precision}) or absent`);
  if (baseWeights === 'f32') return fail(`"baseWeights" is f16 or bf16, or absent for f32`);
  const envelope = {
    format: 'scratchgpt-run',
    version: 1,
    step: step as number,
    checkpoint,
    precision,
    ...(baseWeights !== undefined ? { baseWeights: baseWeights as HalfPrecision } : {}),
  } as const;
  const task = json.task !== undefined ? json.task : json.instruct === undefined ? 'pretrain' : 'instruct';
  if (task === 'classify') return { ...envelope, task, run: parseClassifyRunSettings(run, fail) };
  if (task !== 'pretrain' && task !== 'instruct' && task !== 'dpo')
    return fail(`"task" ${JSON.stringify(json.task)} is not one this scratchgpt reads`);
  if (task === 'pretrain' && json.instruct !== undefined)
    return fail(`"instruct" belongs to an instruction-tuning run, not to "task" "pretrain"`);
  const settings = parseRunSettings(run, fail);
  if (task === 'pretrain') return { ...envelope, task, run: settings };
  const instruct = parseInstructSettings(json.instruct, fail);
  if (task === 'dpo')
    return { ...envelope, task, run: settings, instruct, dpo: parseDpoSettings(json.dpo, fail) };
  return { ...envelope, task, run: settings, instruct };
}

function parseRunSettings(run: Record<string, unknown>, fail: (problem: string) => never): RunSettings {
  const number = (name: keyof RunSettings, ok: (value: number) => boolean) => {
    const value = run[name];
    if (typeof value !== 'number' || !ok(value)) fail(`"run.${name}" is missing or out of range`);
    return value as number;
  };
  if (typeof run.data !== 'string' || run.data === '') return fail(`"run.data" must be the text file's path`);
  if (typeof run.shuffle !== 'boolean') return fail(`"run.shuffle" must be true or false`);
  return {
    data: run.data,
    valRatio: number('valRatio', (v) => v >= 0 && v < 1),
    context: number('context', (v) => Number.isSafeInteger(v) && v >= 1),
    batchSize: number('batchSize', (v) => Number.isSafeInteger(v) && v >= 1),
    shuffle: run.shuffle,
    seed: number('seed', (v) => Number.isSafeInteger(v) && v >= 0),
    recompute: parseRecompute(run.recompute, fail),
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

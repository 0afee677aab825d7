/**
 * How `classify train` read, split and batched its data, kept in the run's manifest so a resumed run
 * (and `classify eval`) cuts the file into exactly the same splits and batches.
 */
import type { LabelledFormat } from '@scratchgpt/classifier';
import type { RecomputeMode } from '@scratchgpt/tensor';
import { parseRecompute } from './recompute-flags.js';

export interface ClassifyRunSettings {
  /** The labelled file, as given. */
  data: string;
  format: LabelledFormat;
  /** Columns (name or 0-based index) or JSON keys; null: the defaults. */
  textColumn: string | number | null;
  labelColumn: string | number | null;
  /** Whether the first row is a header; null: detected. */
  header: boolean | null;
  /** Classes undersampled to the smallest. */
  balance: boolean;
  valRatio: number;
  testRatio: number;
  /** Tokens per example (padded or truncated). */
  maxLength: number;
  batchSize: number;
  /** Seeds the order of the training batches and the new weights. */
  seed: number;
  /** Seeds the balancing and the split (runs written before it existed: `seed`). */
  splitSeed: number;
  /** What the classifier started from: a model directory or id, or a config (random weights). */
  base: string;
  /** Whether the blocks' activations are recomputed in the backward pass (`--recompute`). */
  recompute: RecomputeMode;
}

export function parseClassifyRunSettings(
  run: Record<string, unknown>,
  fail: (problem: string) => never,
): ClassifyRunSettings {
  const number = (name: keyof ClassifyRunSettings, ok: (value: number) => boolean) => {
    const value = run[name];
    if (typeof value !== 'number' || !ok(value)) fail(`"run.${name}" is missing or out of range`);
    return value as number;
  };
  const column = (name: 'textColumn' | 'labelColumn') => {
    const value = run[name];
    if (
      value === null ||
      typeof value === 'string' ||
      (Number.isSafeInteger(value) && (value as number) >= 0)
    ) {
      return value as string | number | null;
    }
    return fail(`"run.${name}" must be a column name, a 0-based index or null`);
  };
  const text = (name: 'data' | 'base') => {
    const value = run[name];
    if (typeof value !== 'string' || value === '') fail(`"run.${name}" must be a non-empty string`);
    return value as string;
  };
  const format = run.format;
  if (format !== 'tsv' && format !== 'csv' && format !== 'jsonl')
    return fail(`"run.format" must be tsv, csv or jsonl`);
  if (run.header !== null && typeof run.header !== 'boolean')
    return fail(`"run.header" must be true, false or null`);
  if (typeof run.balance !== 'boolean') return fail(`"run.balance" must be true or false`);
  const valRatio = number('valRatio', (v) => v >= 0 && v < 1);
  const seed = number('seed', (v) => Number.isSafeInteger(v) && v >= 0);
  return {
    data: text('data'),
    format,
    textColumn: column('textColumn'),
    labelColumn: column('labelColumn'),
    header: run.header,
    balance: run.balance,
    valRatio,
    testRatio: number('testRatio', (v) => v >= 0 && v + valRatio < 1),
    maxLength: number('maxLength', (v) => Number.isSafeInteger(v) && v >= 1),
    batchSize: number('batchSize', (v) => Number.isSafeInteger(v) && v >= 1),
    seed,
    splitSeed:
      run.splitSeed === undefined ? seed : number('splitSeed', (v) => Number.isSafeInteger(v) && v >= 0),
    base: text('base'),
    recompute: parseRecompute(run.recompute, fail),
  };
}

/** Accuracy during training, and loss, accuracy and confusion per split at the end and in `classify eval`. */
import {
  type ClassificationData,
  type ClassificationLoader,
  type ClassifierEvaluation,
  evaluateClassifier,
  type GPTClassifier,
} from '@scratchgpt/classifier';
import type { Output } from '../../output.js';

export type SplitName = 'train' | 'validation' | 'test';
export const splitNames: readonly SplitName[] = ['train', 'validation', 'test'];

/** The book's accuracy check after an evaluation: the first batches of the training and validation sets. */
export async function splitAccuracies(
  model: GPTClassifier,
  train: ClassificationLoader,
  validation: ClassificationLoader | undefined,
  batches: number,
): Promise<{ trainAccuracy: number; valAccuracy: number | null }> {
  const trainAccuracy = (await evaluateClassifier(model, train, { numBatches: batches })).accuracy;
  const valAccuracy = validation
    ? (await evaluateClassifier(model, validation, { numBatches: batches })).accuracy
    : null;
  return { trainAccuracy, valAccuracy };
}

export type SplitEvaluations = Partial<Record<SplitName, ClassifierEvaluation>>;

/** Every batch of each split asked for (all three by default). */
export async function evaluateSplits(
  model: GPTClassifier,
  data: ClassificationData,
  splits: readonly SplitName[] = splitNames,
): Promise<SplitEvaluations> {
  const out: SplitEvaluations = {};
  for (const split of splits) {
    // The training loader as the book evaluates it: its batches of epoch 0, the last partial one dropped.
    const { loader } = data[split];
    if (loader.length > 0) out[split] = await evaluateClassifier(model, loader);
  }
  return out;
}

export function reportEvaluation(
  output: Output,
  evaluations: SplitEvaluations,
  classes: readonly string[],
): void {
  const result = Object.fromEntries(
    Object.entries(evaluations).map(([split, { accuracy, loss, examples, correct, confusion }]) => [
      split,
      { accuracy, loss, examples, correct, confusion },
    ]),
  );
  output.result({ event: 'evaluation', classes, ...result }, () => evaluationText(evaluations, classes));
}

function evaluationText(evaluations: SplitEvaluations, classes: readonly string[]): string {
  const lines = Object.entries(evaluations).map(
    ([split, e]) =>
      `${split.padEnd(10)}  accuracy ${(e.accuracy * 100).toFixed(2).padStart(6)}%  loss ${e.loss.toFixed(4)}  (${e.correct} of ${e.examples} texts)`,
  );
  const last = (['test', 'validation', 'train'] as const).find((split) => evaluations[split] != null);
  if (last === undefined) return 'no texts to evaluate';
  const confusion = (evaluations[last] as ClassifierEvaluation).confusion;
  const width = Math.max(8, ...classes.map((name) => name.length + 2));
  const header = `${''.padEnd(width)}${classes.map((name) => name.padStart(width)).join('')}`;
  const rows = confusion.map(
    (row, label) =>
      `${(classes[label] as string).padEnd(width)}${row.map((n) => String(n).padStart(width)).join('')}`,
  );
  return [...lines, '', `confusion (${last}): rows are labels, columns predictions`, header, ...rows].join(
    '\n',
  );
}

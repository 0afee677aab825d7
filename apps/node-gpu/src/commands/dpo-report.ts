/**
 * What `instruct dpo` prints at each evaluation, as the book's chapter 7 bonus does: the DPO loss on
 * the training and validation pairs, and the rewards of each (chosen, rejected, their margin, and how
 * often the chosen answer wins).
 */
import { evaluatePreferences, type PreferenceEvaluation, type ReferenceModel } from '@scratchgpt/instruct';
import type { LanguageModel } from '@scratchgpt/trainer';
import type { Output } from '../output.js';
import type { PreferenceLoader } from '../preference-data.js';
import type { TrainReporter } from './train-reporter.js';

export type Rewards = Omit<PreferenceEvaluation, 'loss'>;

export interface PreferenceEvaluations {
  train: PreferenceEvaluation;
  validation: PreferenceEvaluation;
}

/** Both splits, on the first `maxBatches` batches of each, with the policy in evaluation mode. */
export async function evaluateSplits(options: {
  policy: LanguageModel;
  reference: ReferenceModel;
  train: PreferenceLoader;
  validation: PreferenceLoader;
  beta: number;
  maxBatches: number;
}): Promise<PreferenceEvaluations> {
  const { policy, reference, beta, maxBatches } = options;
  const wasTraining = policy.training;
  // Dropout off: the rewards compare two deterministic passes.
  policy.eval();
  try {
    const on = (loader: PreferenceLoader) =>
      evaluatePreferences({ policy, reference, batches: loader.batches(0), beta, maxBatches });
    return { train: await on(options.train), validation: await on(options.validation) };
  } finally {
    policy.train(wasTraining);
  }
}

/** One `eval` event (JSON) or line (text); the losses are the loop's where it gives them. */
export function reportPreferenceEval(
  output: Output,
  reporter: TrainReporter,
  step: number,
  losses: { trainLoss: number; valLoss: number | null },
  evaluations: PreferenceEvaluations,
): void {
  const rewards = ({ loss: _loss, ...rest }: PreferenceEvaluation): Rewards => rest;
  const train = rewards(evaluations.train);
  const validation = rewards(evaluations.validation);
  output.event({ event: 'eval', step, ...losses, train, validation });
  if (output.json) return;
  const val = losses.valLoss == null ? '' : `, val ${losses.valLoss.toFixed(3)}`;
  reporter.log(
    `step ${String(step).padStart(5)}: train loss ${losses.trainLoss.toFixed(3)}${val}; ` +
      `reward margin train ${train.margin.toFixed(3)}, val ${validation.margin.toFixed(3)}; ` +
      `val accuracy ${(validation.accuracy * 100).toFixed(1)}% ` +
      `(chosen ${validation.chosen.toFixed(3)}, rejected ${validation.rejected.toFixed(3)})`,
  );
}

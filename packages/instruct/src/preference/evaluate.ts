/**
 * How a policy stands against its reference on a set of preference pairs: the mean DPO loss and the
 * reward summary the book prints while it trains (chosen, rejected, margin, accuracy), over every pair.
 */
import { tf } from '@scratchgpt/tensor';
import type { LanguageModel } from '@scratchgpt/trainer';
import type { PreferenceBatch } from './collate.js';
import { dpoBatchLoss, type ReferenceModel, type RewardSummary, summarizeRewards } from './dpo-loss.js';

export interface PreferenceEvaluation extends RewardSummary {
  /** Mean DPO loss per pair. */
  loss: number;
  /** How many pairs it is over. */
  pairs: number;
}

/**
 * Runs policy and reference over `batches` (at most `maxBatches` of them, as the book's evaluation
 * does) and sums per pair. Set the models to evaluation mode first: dropout would make it noisy.
 */
export async function evaluatePreferences(options: {
  policy: LanguageModel;
  reference: ReferenceModel;
  batches: Iterable<PreferenceBatch>;
  beta: number;
  maxBatches?: number;
}): Promise<PreferenceEvaluation> {
  const { policy, reference, beta, maxBatches = Number.POSITIVE_INFINITY } = options;
  const chosen: number[] = [];
  const rejected: number[] = [];
  let lossSum = 0;
  let seen = 0;
  for (const batch of options.batches) {
    if (seen++ >= maxBatches) break;
    const result = dpoBatchLoss(policy, reference, batch, beta, 'sum');
    try {
      const [loss, chosenRewards, rejectedRewards] = await Promise.all([
        result.loss.data(),
        result.chosenRewards.data(),
        result.rejectedRewards.data(),
      ]);
      lossSum += loss[0] as number;
      chosen.push(...chosenRewards);
      rejected.push(...rejectedRewards);
    } finally {
      tf.dispose([result.loss, result.chosenRewards, result.rejectedRewards]);
    }
  }
  if (chosen.length === 0) throw new RangeError('evaluatePreferences: there are no pairs to evaluate');
  return { loss: lossSum / chosen.length, pairs: chosen.length, ...summarizeRewards(chosen, rejected) };
}

/**
 * Direct Preference Optimization (the book's chapter 7 bonus): the policy is pushed to raise the
 * chosen answer's log-probability relative to a frozen reference model more than the rejected one's,
 *
 *   loss = −log σ(β · ((π_chosen − π_rejected) − (ref_chosen − ref_rejected))),
 *
 * averaged over the batch, where each term is a sequence log-probability (`sequenceLogProbs`). β sets
 * how far the policy may drift from the reference (the book uses 0.1).
 */
import { tf, withoutGradient } from '@scratchgpt/tensor';
import type { LanguageModel, Objective } from '@scratchgpt/trainer';
import type { PreferenceBatch } from './collate.js';
import { responseLogProbs } from './log-probs.js';

/** The loss and the implicit rewards of each row, β·(π − ref); tensors the caller disposes. */
export type DpoLoss = {
  /** The mean (or summed) loss over the rows. */
  loss: tf.Scalar;
  /** (B) β·(π_chosen − ref_chosen). */
  chosenRewards: tf.Tensor1D;
  /** (B) β·(π_rejected − ref_rejected). */
  rejectedRewards: tf.Tensor1D;
};

/** The sequence log-probabilities (B) a DPO loss compares. */
export interface PreferenceLogProbs {
  policyChosen: tf.Tensor1D;
  policyRejected: tf.Tensor1D;
  referenceChosen: tf.Tensor1D;
  referenceRejected: tf.Tensor1D;
}

export function dpoLoss(
  logProbs: PreferenceLogProbs,
  beta: number,
  reduction: 'mean' | 'sum' = 'mean',
): DpoLoss {
  checkBeta(beta);
  return tf.tidy(() => {
    const { policyChosen, policyRejected, referenceChosen, referenceRejected } = logProbs;
    const logits = tf.sub(tf.sub(policyChosen, policyRejected), tf.sub(referenceChosen, referenceRejected));
    // −log σ(x) = softplus(−x), stable for large |x|.
    const rowLosses = tf.softplus(tf.neg(tf.mul(logits, beta)));
    return {
      loss: (reduction === 'sum' ? tf.sum(rowLosses) : tf.mean(rowLosses)) as tf.Scalar,
      chosenRewards: tf.mul(tf.sub(policyChosen, referenceChosen), beta) as tf.Tensor1D,
      rejectedRewards: tf.mul(tf.sub(policyRejected, referenceRejected), beta) as tf.Tensor1D,
    };
  });
}

/**
 * The frozen model DPO measures the policy against: a copy of the instruction-tuned model the policy
 * starts from, or, when the policy trains LoRA updates, that same model with its updates switched off
 * (`withoutAdapters` from `@scratchgpt/lora`), which needs no second copy of the weights.
 */
export type ReferenceModel = Pick<LanguageModel, 'forward'>;

/**
 * Runs the policy and the reference on both sides of the batch and gives the DPO loss. The reference
 * runs without a gradient (`withoutGradient`): inside a training step none of its work is recorded or
 * kept for the backward pass, and no gradient reaches it.
 */
export function dpoBatchLoss(
  policy: LanguageModel,
  reference: ReferenceModel,
  batch: PreferenceBatch,
  beta: number,
  reduction: 'mean' | 'sum' = 'mean',
): DpoLoss {
  if (policy === reference) {
    throw new Error('dpoBatchLoss: the reference must be a separate model (a frozen copy of the policy)');
  }
  return tf.tidy(() => {
    const { batchSize, length } = batch;
    const side = (model: ReferenceModel, which: 'chosen' | 'rejected') =>
      responseLogProbs(model, batch[which], batchSize, length);
    return dpoLoss(
      {
        policyChosen: side(policy, 'chosen'),
        policyRejected: side(policy, 'rejected'),
        referenceChosen: withoutGradient(() => side(reference, 'chosen')),
        referenceRejected: withoutGradient(() => side(reference, 'rejected')),
      },
      beta,
      reduction,
    );
  });
}

/** DPO as an objective of the trainer's loop: the policy is the model trained, counted per row. */
export function dpoObjective(options: {
  reference: ReferenceModel;
  beta: number;
}): Objective<LanguageModel, PreferenceBatch> {
  checkBeta(options.beta);
  return {
    loss: (model, batch, reduction) => {
      const { loss, chosenRewards, rejectedRewards } = dpoBatchLoss(
        model,
        options.reference,
        batch,
        options.beta,
        reduction,
      );
      tf.dispose([chosenRewards, rejectedRewards]);
      return loss;
    },
    countTargets: (batch) => batch.batchSize,
  };
}

/** What a batch's rewards say, as the book reports them. */
export interface RewardSummary {
  /** Mean chosen reward. */
  chosen: number;
  /** Mean rejected reward. */
  rejected: number;
  /** Mean of chosen − rejected. */
  margin: number;
  /** Share of rows whose chosen reward is above their rejected reward. */
  accuracy: number;
}

export function summarizeRewards(
  chosenRewards: ArrayLike<number>,
  rejectedRewards: ArrayLike<number>,
): RewardSummary {
  const rows = chosenRewards.length;
  if (rows === 0 || rejectedRewards.length !== rows) {
    throw new RangeError(`summarizeRewards: ${rows} chosen and ${rejectedRewards.length} rejected rewards`);
  }
  let chosen = 0;
  let rejected = 0;
  let preferred = 0;
  for (let row = 0; row < rows; row++) {
    const c = chosenRewards[row] as number;
    const r = rejectedRewards[row] as number;
    chosen += c;
    rejected += r;
    if (c > r) preferred++;
  }
  return {
    chosen: chosen / rows,
    rejected: rejected / rows,
    margin: (chosen - rejected) / rows,
    accuracy: preferred / rows,
  };
}

function checkBeta(beta: number): void {
  if (!(Number.isFinite(beta) && beta > 0))
    throw new RangeError(`DPO: beta must be a positive number, got ${beta}`);
}

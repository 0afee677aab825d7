/**
 * Preference tuning (DPO) between the page and the worker: the settings of a run and what it reports
 * as it goes. Part of `ToWorker` and `FromWorker`.
 */
import type { PreferenceEvaluation, PromptFormatName } from '@scratchgpt/instruct';

export interface PreferenceSettings {
  format: PromptFormatName;
  /** How far the policy may move from the reference (the book's 0.1). */
  beta: number;
  lr: number;
  steps: number;
  batchSize: number;
  /** How many pairs of the training split, from its start, to tune on: a tab is slow. */
  trainPairs: number;
  /** Measure rewards on both splits every this many steps (0: only at the end). */
  evalEvery: number;
  /** Train LoRA updates and use the model without them as the reference, instead of a frozen copy. */
  lora: boolean;
  seed: number;
}

/** What an evaluation reports of one split. */
export type PreferenceScores = Pick<PreferenceEvaluation, 'loss' | 'margin' | 'accuracy' | 'pairs'>;

export type PreferenceToWorker = { type: 'preference'; settings: PreferenceSettings };

export type PreferenceFromWorker =
  | {
      type: 'preference-data';
      trainPairs: number;
      validationPairs: number;
      /** Pairs whose prompt lost its start to leave room for the answers in the context. */
      shortened: number;
      batchesPerEpoch: number;
      /** What the policy is measured against: a frozen copy, or the model without its LoRA updates. */
      reference: 'copy' | 'without-lora';
    }
  | { type: 'preference-step'; step: number; loss: number }
  | { type: 'preference-eval'; step: number; train: PreferenceScores; validation: PreferenceScores }
  | { type: 'preference-trained'; step: number; reason: 'completed' | 'aborted' };

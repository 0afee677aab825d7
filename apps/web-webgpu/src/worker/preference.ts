/**
 * Preference tuning (DPO) in the worker: the page's model is the policy and changes in place, so the
 * chat panel answers with the tuned model afterwards. The reference it is measured against is a
 * frozen copy of it, or, with LoRA, the same model with its updates switched off (no second copy);
 * the updates are merged into the weights at the end. Rewards on both splits are reported every
 * `evalEvery` steps (from step 1) and at the end.
 */
import type { GPTModel } from '@scratchgpt/gpt-model';
import {
  dpoObjective,
  evaluatePreferences,
  type PreferenceBatch,
  type ReferenceModel,
} from '@scratchgpt/instruct';
import { applyLoRA, mergeLoRA, withoutAdapters } from '@scratchgpt/lora';
import { manualSeed } from '@scratchgpt/tensor';
import { type BatchSource, trainModel } from '@scratchgpt/trainer';
import type { PreferenceScores, PreferenceSettings } from '../preference-protocol.js';
import type { FromWorker } from '../protocol.js';
import { copyOfModel } from './checkpoint.js';
import { preparePreferenceData } from './preference-data.js';

/** Batches of each split an evaluation reads: the book's `eval_iter`, small for a tab. */
const preferenceEvalBatches = 2;
/** The LoRA rank (alpha = rank) when the step trains LoRA updates. */
const loraRank = 8;

export async function runPreferenceTuning(
  model: GPTModel,
  settings: PreferenceSettings,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  const data = preparePreferenceData({ ...settings, contextLength: model.config.contextLength });
  post({
    type: 'preference-data',
    trainPairs: data.trainPairs,
    validationPairs: data.validationPairs,
    shortened: data.shortened,
    batchesPerEpoch: data.train.length,
    reference: settings.lora ? 'without-lora' : 'copy',
  });
  manualSeed(settings.seed);
  const { reference, release } = await referenceFor(model, settings.lora);
  const measure = (batches: BatchSource<PreferenceBatch>) =>
    scores({ policy: model, reference, batches, beta: settings.beta });
  let evaluatedAt = 0;
  const evaluate = async (step: number) => {
    evaluatedAt = step;
    model.eval();
    try {
      const train = await measure(data.train);
      post({ type: 'preference-eval', step, train, validation: await measure(data.validation) });
    } finally {
      model.train();
    }
  };
  try {
    for await (const event of trainModel({
      model,
      train: data.train,
      objective: dpoObjective({ reference, beta: settings.beta }),
      lr: settings.lr,
      maxSteps: settings.steps,
      signal,
    })) {
      if (event.event === 'step') {
        post({ type: 'preference-step', step: event.step, loss: event.loss });
        // After step 1 and every `evalEvery` steps, as the trainer evaluates. The step yields before
        // the trainer looks at the signal: a stop skips the evaluation.
        const due = settings.evalEvery > 0 && (event.step - 1) % settings.evalEvery === 0;
        if (due && !signal.aborted) await evaluate(event.step);
      }
      if (event.event === 'done') {
        if (event.reason === 'completed' && evaluatedAt !== event.step) await evaluate(event.step);
        post({ type: 'preference-trained', step: event.step, reason: event.reason });
      }
    }
  } finally {
    release();
  }
}

/** Loss, margin and accuracy over the first batches of a split, in the first epoch's order. */
async function scores(options: {
  policy: GPTModel;
  reference: ReferenceModel;
  batches: BatchSource<PreferenceBatch>;
  beta: number;
}): Promise<PreferenceScores> {
  const { loss, margin, accuracy, pairs } = await evaluatePreferences({
    ...options,
    batches: options.batches.batches(),
    maxBatches: preferenceEvalBatches,
  });
  return { loss, margin, accuracy, pairs };
}

/** The frozen model the policy is measured against, and how to let it go when the run ends. */
async function referenceFor(
  model: GPTModel,
  lora: boolean,
): Promise<{ reference: ReferenceModel; release: () => void }> {
  if (lora) {
    applyLoRA(model, { rank: loraRank, alpha: loraRank });
    return {
      reference: withoutAdapters(model),
      // The tuned model becomes plain again: the chat, saving and further training see ordinary weights.
      release: () => {
        mergeLoRA(model);
        model.setTrainable(true);
      },
    };
  }
  const copy = await copyOfModel(model);
  copy.eval();
  return { reference: copy, release: () => copy.dispose() };
}

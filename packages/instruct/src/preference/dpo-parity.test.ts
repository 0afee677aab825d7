/**
 * Preference tuning against the PyTorch reference (tools/reference/fixtures_dpo.py): 8 pairs of the
 * bundled preference data collated, the sequence log-probabilities of a small policy and reference
 * GPT, the DPO loss and rewards with β = 0.1, and ten AdamW steps of the policy in the training loop.
 */
import { readFileSync } from 'node:fs';
import { loadModel } from '@scratchgpt/gpt-model';
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { type BatchSource, trainModel } from '@scratchgpt/trainer';
import { describe, expect, it } from 'vitest';
import { alpaca } from '../prompt-format.js';
import { type FormulaParameter, formulaWeights, loadFixture } from '../test-support/fixtures.js';
import { collatePreferences, encodePreference, type PreferenceBatch } from './collate.js';
import { dpoBatchLoss, dpoLoss, dpoObjective } from './dpo-loss.js';
import { parsePreferenceData } from './entry.js';
import { responseLogProbs } from './log-probs.js';

const fixture = loadFixture('data.safetensors', 'dpo');
const values = loadFixture('values.safetensors', 'dpo');
const training = loadFixture('training.safetensors', 'dpo');
const dataUrl = new URL('../../../../data/instruction-data-with-preference.json', import.meta.url);
const data = parsePreferenceData(readFileSync(dataUrl, 'utf8'));
const tokenizer = getGPT2Tokenizer();
const entries = fixture.setting<number[]>('pair_entries');
const allowedMaxLength = fixture.setting<number>('allowed_max_length');
const pairs = entries.map((i) => encodePreference(data[i]!, tokenizer, alpaca));
const beta = values.setting<number>('beta');

/** A "values" figure: within 1e-5 of the reference tensor's largest magnitude (tools/reference/tolerances.py). */
function expectValues(
  got: ArrayLike<number>,
  expected: Float32Array,
  name: string,
  scale = largest(expected),
): void {
  expect(got.length, name).toBe(expected.length);
  expect(maxAbsDiff(got, expected), name).toBeLessThanOrEqual(1e-5 * scale);
}

function largest(values: ArrayLike<number>): number {
  return Math.max(...Array.from(values, Math.abs));
}

describe('the preference data against PyTorch', () => {
  it(`collates entries ${entries.join(', ')} to the same ids and answer masks`, () => {
    const batch = collatePreferences(pairs, { allowedMaxLength });
    for (const side of ['chosen', 'rejected'] as const) {
      expect([batch.batchSize, batch.length]).toEqual(fixture.shape(`${side}.inputs`));
      expect(batch[side].inputs).toEqual(fixture.ints(`${side}.inputs`));
      expect(batch[side].targets).toEqual(fixture.ints(`${side}.targets`));
      expect(batch[side].mask).toEqual(fixture.floats(`${side}.mask`));
    }
  });
});

function formulaModel(parameters: string) {
  const weights = formulaWeights(training.setting<FormulaParameter[]>(parameters));
  return loadModel(training.setting<Record<string, unknown>>('model'), weights, { weightsSource: 'formula' })
    .model;
}

const backends = await findTestBackends();
const optimizer = training.setting<{
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}>('optimizer');

describe.each(backends)('DPO on a small GPT against PyTorch on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'gives the same sequence log-probabilities, loss and rewards within 1e-5',
    async () => {
      await initBackend({ prefer: backend });
      const policy = formulaModel('policy_parameters');
      const reference = formulaModel('reference_parameters');
      const batch = collatePreferences(pairs, { allowedMaxLength });
      const logProbs = {
        policyChosen: responseLogProbs(policy, batch.chosen, batch.batchSize, batch.length),
        policyRejected: responseLogProbs(policy, batch.rejected, batch.batchSize, batch.length),
        referenceChosen: responseLogProbs(reference, batch.chosen, batch.batchSize, batch.length),
        referenceRejected: responseLogProbs(reference, batch.rejected, batch.batchSize, batch.length),
      };
      for (const [name, key] of [
        ['policyChosen', 'policy_chosen'],
        ['policyRejected', 'policy_rejected'],
        ['referenceChosen', 'reference_chosen'],
        ['referenceRejected', 'reference_rejected'],
      ] as const) {
        expectValues(await logProbs[name].data(), values.floats(key), key);
      }
      const result = dpoLoss(logProbs, beta);
      expectValues(await result.loss.data(), values.floats('loss'), 'loss');
      // The same four forward passes again: not on cpu, where each takes seconds.
      if (backend !== 'cpu') {
        const viaBatch = dpoBatchLoss(policy, reference, batch, beta);
        expect(await viaBatch.loss.data()).toEqual(await result.loss.data());
        tf.dispose(Object.values(viaBatch));
      }
      // A reward is β times a difference of two log-probabilities: held to 1e-5 of the largest of those.
      const logProbScale = beta * largest(values.floats('policy_chosen'));
      expectValues(
        await result.chosenRewards.data(),
        values.floats('chosen_rewards'),
        'chosen',
        logProbScale,
      );
      expectValues(
        await result.rejectedRewards.data(),
        values.floats('rejected_rewards'),
        'rejected',
        logProbScale,
      );
      tf.dispose([Object.values(logProbs), Object.values(result)]);
      policy.dispose();
      reference.dispose();
    },
    300_000,
  );

  // Not on cpu: TF.js's cpu kernel for the embedding's gradient visits every row of the 50,257 for every
  // token (see parity.test.ts).
  it.skipIf(!available || backend === 'cpu')(
    'trains the policy ten AdamW steps in the loop to the same losses and weights within 1e-4',
    async () => {
      await initBackend({ prefer: backend });
      const policy = formulaModel('policy_parameters');
      const reference = formulaModel('reference_parameters');
      const stepBatch = training.setting<number>('step_batch');
      const batches: PreferenceBatch[] = [];
      for (let start = 0; start < pairs.length; start += stepBatch) {
        batches.push(collatePreferences(pairs.slice(start, start + stepBatch), { allowedMaxLength }));
      }
      const train: BatchSource<PreferenceBatch> = {
        length: batches.length,
        batchSize: stepBatch,
        batches: (_epoch = 0, startBatch = 0) => batches.slice(startBatch),
      };
      const steps = training.setting<number>('steps');
      const losses: number[] = [];
      for await (const event of trainModel({
        model: policy,
        train,
        objective: dpoObjective({ reference, beta }),
        lr: optimizer.lr,
        weightDecay: optimizer.weight_decay,
        betas: optimizer.betas,
        eps: optimizer.eps,
        epochs: Math.ceil(steps / batches.length),
        maxSteps: steps,
      })) {
        if (event.event === 'step') losses.push(event.loss);
      }
      expect(maxAbsDiff(losses, training.floats('losses'))).toBeLessThanOrEqual(1e-4);
      expect(losses).toHaveLength(steps);
      const parameters = new Map(policy.namedParameters());
      const finals = training.names().filter((name) => name.startsWith('final.'));
      expect([...parameters.keys()].sort()).toEqual(finals.map((name) => name.slice('final.'.length)).sort());
      for (const name of finals) {
        const got = (await parameters.get(name.slice('final.'.length))!.data()) as Float32Array;
        expect(maxAbsDiff(got, training.floats(name)), name).toBeLessThanOrEqual(1e-4);
      }
      policy.dispose();
      reference.dispose();
    },
    300_000,
  );
});

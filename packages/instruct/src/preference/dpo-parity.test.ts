/**
 * Preference tuning against the PyTorch reference (tools/reference/fixtures_dpo.py): 8 pairs of the
 * bundled preference data collated, the sequence log-probabilities of a small policy and reference
 * GPT, the DPO loss and rewards with β = 0.1, and ten AdamW steps of the policy in the training loop.
 */
import { readFileSync } from 'node:fs';
import { loadModel } from '@scratchgpt/gpt-model';
import { applyLoRA, withoutAdapters } from '@scratchgpt/lora';
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { type BatchSource, trainModel } from '@scratchgpt/trainer';
import { describe, expect, it } from 'vitest';
import { alpaca } from '../prompt-format.js';
import { type FormulaParameter, formulaWeights, loadFixture } from '../test-support/fixtures.js';
import { collatePreferences, encodePreference, type PreferenceBatch } from './collate.js';
import { dpoBatchLoss, dpoLoss, dpoObjective, type ReferenceModel } from './dpo-loss.js';
import { parsePreferenceData } from './entry.js';
import { responseLogProbs } from './log-probs.js';

const fixture = loadFixture('data.safetensors', 'dpo');
const values = loadFixture('values.safetensors', 'dpo');
const training = loadFixture('training.safetensors', 'dpo');
const loraTraining = loadFixture('lora-training.safetensors', 'dpo');
const loraInitial = loadFixture('lora-initial.safetensors', 'dpo');
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

function formulaModel(parameters: string, fixture = training) {
  const weights = formulaWeights(fixture.setting<FormulaParameter[]>(parameters));
  return loadModel(fixture.setting<Record<string, unknown>>('model'), weights, { weightsSource: 'formula' })
    .model;
}

type AdamWSettings = { lr: number; betas: [number, number]; eps: number; weight_decay: number };

/** The fixture's ten DPO steps in the training loop, on batches of its step size in file order. */
async function trainTenSteps(
  policy: ReturnType<typeof formulaModel>,
  reference: ReferenceModel,
  fixture: typeof training,
): Promise<number[]> {
  const stepBatch = fixture.setting<number>('step_batch');
  const optimizer = fixture.setting<AdamWSettings>('optimizer');
  const batches: PreferenceBatch[] = [];
  for (let start = 0; start < pairs.length; start += stepBatch) {
    batches.push(collatePreferences(pairs.slice(start, start + stepBatch), { allowedMaxLength }));
  }
  const train: BatchSource<PreferenceBatch> = {
    length: batches.length,
    batchSize: stepBatch,
    batches: (_epoch = 0, startBatch = 0) => batches.slice(startBatch),
  };
  const steps = fixture.setting<number>('steps');
  const losses: number[] = [];
  for await (const event of trainModel({
    model: policy,
    train,
    objective: dpoObjective({ reference, beta: fixture.setting<number>('beta') }),
    lr: optimizer.lr,
    weightDecay: optimizer.weight_decay,
    betas: optimizer.betas,
    eps: optimizer.eps,
    epochs: Math.ceil(steps / batches.length),
    maxSteps: steps,
  })) {
    if (event.event === 'step') losses.push(event.loss);
  }
  expect(losses).toHaveLength(steps);
  return losses;
}

const backends = await findTestBackends();

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
      const losses = await trainTenSteps(policy, reference, training);
      expect(maxAbsDiff(losses, training.floats('losses'))).toBeLessThanOrEqual(1e-5);
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

  it.skipIf(!available || backend === 'cpu')(
    'trains LoRA updates against the base under them, ten steps to the same losses and updates',
    async () => {
      await initBackend({ prefer: backend });
      const policy = formulaModel('policy_parameters', loraTraining);
      const lora = loraTraining.setting<{ rank: number; alpha: number }>('lora');
      const layers = applyLoRA(policy, { ...lora, include: (name) => name.startsWith('trf_blocks.') });
      expect([...layers.keys()]).toEqual(loraTraining.setting<string[]>('layers'));
      for (const [name, layer] of layers) {
        const key = `${name}.lora.A`;
        layer.A.assign(tf.tensor(loraInitial.floats(key), loraInitial.shape(key)));
      }
      const losses = await trainTenSteps(policy, withoutAdapters(policy), loraTraining);
      // Policy and reference start as one model: the first loss is log 2 exactly as in PyTorch.
      expect(maxAbsDiff(losses, loraTraining.floats('losses'))).toBeLessThanOrEqual(1e-5);
      for (const [name, layer] of layers) {
        for (const part of ['A', 'B'] as const) {
          const key = `final.${name}.lora.${part}`;
          const got = (await layer[part].data()) as Float32Array;
          expect(maxAbsDiff(got, loraTraining.floats(key)), key).toBeLessThanOrEqual(1e-4);
        }
      }
      policy.dispose();
    },
    300_000,
  );
});

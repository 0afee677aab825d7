import { GPTModel } from '@scratchgpt/gpt-model';
import { initBackend, manualSeed, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreferenceSettings } from '../preference-protocol.js';
import type { FromWorker, MessageOf } from '../protocol.js';
import { runPreferenceTuning } from './preference.js';
import { fitToContext } from './preference-data.js';

const settings: PreferenceSettings = {
  format: 'alpaca',
  beta: 0.1,
  lr: 1e-2,
  steps: 3,
  batchSize: 2,
  trainPairs: 8,
  evalEvery: 2,
  lora: false,
  seed: 123,
};

/**
 * A GPT small enough to tune in a test, on GPT-2's vocabulary. Run once, so that its causal mask (made
 * on the first forward pass and kept with the model) is not counted as the run's.
 */
function tinyModel(): GPTModel {
  manualSeed(7);
  const model = new GPTModel({
    vocabSize: 50257,
    contextLength: 32,
    embDim: 8,
    nHeads: 2,
    nLayers: 1,
    dropRate: 0,
    qkvBias: false,
  });
  tf.tidy(() => model.forward(tf.zeros([1, 32], 'int32')));
  return model;
}

async function run(model: GPTModel, changes: Partial<PreferenceSettings>, stopAtStep?: number) {
  const messages: FromWorker[] = [];
  const controller = new AbortController();
  await runPreferenceTuning(model, { ...settings, ...changes }, controller.signal, (message) => {
    messages.push(message);
    if (message.type === 'preference-step' && message.step === stopAtStep) controller.abort();
  });
  const of = <T extends FromWorker['type']>(type: T) =>
    messages.filter((m): m is MessageOf<T> => m.type === type);
  return { messages, of };
}

function weights(model: GPTModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([name, p]) => [name, p.dataSync() as Float32Array]));
}

describe('preference tuning in the worker', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('tunes the model in place against a frozen copy, reporting steps, margins and accuracy, leaking no tensor', async () => {
    const model = tinyModel();
    const before = weights(model);
    const tensors = tf.memory().numTensors;
    const { of } = await run(model, {});
    expect(tf.memory().numTensors).toBe(tensors);

    const [data] = of('preference-data');
    expect(data).toMatchObject({ trainPairs: 8, validationPairs: 55, batchesPerEpoch: 4, reference: 'copy' });
    // Alpaca's preamble alone outgrows a 32-token context.
    expect(data!.shortened).toBeGreaterThan(0);
    expect(of('preference-step').map((m) => m.step)).toEqual([1, 2, 3]);
    for (const { loss } of of('preference-step')) expect(loss).toBeGreaterThan(0);
    // After step 1, every 2 steps, and at the end (already evaluated at 3).
    const evals = of('preference-eval');
    expect(evals.map((m) => m.step)).toEqual([1, 3]);
    for (const evaluation of evals) {
      for (const split of [evaluation.train, evaluation.validation]) {
        expect(split.pairs).toBe(4);
        expect(Number.isFinite(split.margin)).toBe(true);
        expect(split.accuracy).toBeGreaterThanOrEqual(0);
        expect(split.accuracy).toBeLessThanOrEqual(1);
        expect(split.loss).toBeGreaterThan(0);
      }
    }
    // The policy moved away from the reference on the pairs it trained on.
    expect(evals.at(-1)!.train.margin).toBeGreaterThan(0);
    expect(of('preference-trained')).toEqual([{ type: 'preference-trained', step: 3, reason: 'completed' }]);
    const after = weights(model);
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect([...after].some(([name, values]) => values.some((v, i) => v !== before.get(name)![i]))).toBe(true);
    model.dispose();
  }, 120_000);

  it('with LoRA, measures against the model without its updates and merges them at the end', async () => {
    const model = tinyModel();
    const names = model.namedParameters().map(([name]) => name);
    const tensors = tf.memory().numTensors;
    const { of } = await run(model, { lora: true, steps: 2, evalEvery: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(of('preference-data')[0]!.reference).toBe('without-lora');
    expect(of('preference-eval').map((m) => m.step)).toEqual([2]);
    expect(of('preference-eval')[0]!.train.margin).not.toBe(0);
    // Plain weights again, all trainable: the chat, saving and further tuning see an ordinary model.
    expect(model.namedParameters().map(([name]) => name)).toEqual(names);
    expect(model.numParameters({ trainable: true })).toBe(model.numParameters());
    model.dispose();
  }, 120_000);

  it('stops after the step in progress, skipping its evaluation', async () => {
    const model = tinyModel();
    const tensors = tf.memory().numTensors;
    const { of } = await run(model, { steps: 5, evalEvery: 1 }, 1);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(of('preference-step').map((m) => m.step)).toEqual([1]);
    expect(of('preference-eval')).toEqual([]);
    expect(of('preference-trained')).toEqual([{ type: 'preference-trained', step: 1, reason: 'aborted' }]);
    model.dispose();
  }, 120_000);

  it('refuses fewer training pairs than a batch', async () => {
    const model = tinyModel();
    await expect(run(model, { trainPairs: 1 })).rejects.toThrow(
      'DPO needs at least one full batch: 1 training pairs for a batch size of 2',
    );
    model.dispose();
  });
});

describe('fitToContext', () => {
  const pair = { prompt: [1, 2, 3, 4, 5, 6], chosen: [7, 8, 9], rejected: [10] };

  it('keeps a pair that fits, and otherwise the end of its prompt, leaving half the context to the answers', () => {
    expect(fitToContext(pair, 9)).toBe(pair);
    expect(fitToContext(pair, 8)).toEqual({ ...pair, prompt: [2, 3, 4, 5, 6] });
    expect(fitToContext(pair, 4)).toEqual({ ...pair, prompt: [5, 6] });
  });
});

/**
 * Fine-tuning through the trainer's own loop: a tiny classifier learns an easy labelled set, and a run
 * stopped part-way and resumed from its saved snapshot and checkpoint files ends bit-identical to one
 * that never stopped.
 */
import { initBackend } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, serializeClassifier } from './checkpoint/files.js';
import { type ClassificationData, prepareClassificationData } from './data/prepare.js';
import { evaluateClassifier } from './evaluate.js';
import type { GPTClassifier } from './model/gpt-classifier.js';
import { classificationObjective } from './objective.js';
import { settingsOf, tinyClassifier } from './test-support/tiny.js';

const spam = [
  'Win a free prize now',
  'Claim your cash award today',
  'You won a free ticket, call now',
  'Urgent: prize waiting, reply WIN',
];
const ham = [
  'See you at dinner tonight',
  'Can you pick up the kids?',
  'The meeting moved to three',
  'Thanks for the book, I loved it',
];
const content = Array.from({ length: 48 }, (_, i) =>
  i % 2 ? `spam\t${spam[i % 4]} ${i}` : `ham\t${ham[i % 4]} ${i}`,
).join('\n');

let data: ClassificationData;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  data = prepareClassificationData(content, {
    format: 'tsv',
    tokenizer: getGPT2Tokenizer(),
    batchSize: 4,
    contextLength: 32,
  });
});

async function run(
  model: GPTClassifier,
  options: { epochs: number; resume?: TrainingSnapshot; stopAfter?: number },
): Promise<TrainingSnapshot | undefined> {
  const controller = new AbortController();
  let saved: TrainingSnapshot | undefined;
  for await (const event of trainModel({
    model,
    train: data.train.loader,
    validation: data.validation.loader,
    objective: classificationObjective(),
    lr: 3e-3,
    epochs: options.epochs,
    evalEvery: 3,
    evalBatches: 2,
    signal: controller.signal,
    saveCheckpoint: async (snapshot) => {
      saved = snapshot;
      return 'memory';
    },
    ...(options.resume ? { resume: options.resume } : {}),
  })) {
    if (event.event === 'step' && event.step === options.stopAfter) controller.abort();
  }
  return saved;
}

describe('fine-tuning with trainModel', () => {
  it('learns an easy labelled set', async () => {
    const model = tinyClassifier({ seed: 5, trainable: 'last-block' });
    const before = await evaluateClassifier(model, data.train.loader);
    await run(model, { epochs: 6 });
    const after = await evaluateClassifier(model, data.train.loader);
    expect(after.loss).toBeLessThan(before.loss / 2);
    expect(after.accuracy).toBe(1);
    expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(after.examples);
    model.dispose();
  });

  it('resumes exactly from a checkpoint and its training state', async () => {
    const whole = tinyClassifier({ seed: 6, pooling: 'last-non-pad' });
    await run(whole, { epochs: 2 });

    const first = tinyClassifier({ seed: 6, pooling: 'last-non-pad' });
    const snapshot = await run(first, { epochs: 2, stopAfter: 5 });
    expect(snapshot?.state.step).toBe(5);
    const files = await serializeClassifier(first, settingsOf(first, { pooling: 'last-non-pad' }));
    first.dispose();
    const { classifier: resumed } = loadClassifier(files);
    await run(resumed, { epochs: 2, resume: snapshot! });
    const values = async (model: GPTClassifier) =>
      Promise.all(model.namedParameters().map(async ([name, v]) => [name, await v.data()] as const));
    expect(await values(resumed)).toEqual(await values(whole));
    resumed.dispose();
    whole.dispose();
  });
});

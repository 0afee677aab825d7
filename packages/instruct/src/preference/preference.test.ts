import { readFileSync } from 'node:fs';
import { initBackend, tf } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { type BatchSource, trainModel } from '@scratchgpt/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { InstructionDataError } from '../entry.js';
import { alpaca, phi3 } from '../prompt-format.js';
import { splitInstructionData } from '../split.js';
import { tinyModel } from '../test-support/tiny-model.js';
import { collatePreferences, encodePreference, type PreferenceBatch } from './collate.js';
import { dpoBatchLoss, dpoLoss, dpoObjective, summarizeRewards } from './dpo-loss.js';
import { parsePreferenceData } from './entry.js';
import { evaluatePreferences } from './evaluate.js';
import { sequenceLogProbs } from './log-probs.js';

const dataUrl = new URL('../../../../data/instruction-data-with-preference.json', import.meta.url);
const data = parsePreferenceData(readFileSync(dataUrl, 'utf8'), 'instruction-data-with-preference.json');
const E = 50_256;

describe('parsePreferenceData', () => {
  it('reads the bundled data and splits it as the book does: 935 / 110 / 55 in file order', () => {
    expect(data).toHaveLength(1_100);
    expect(Object.keys(data[0]!).sort()).toEqual(['chosen', 'input', 'instruction', 'output', 'rejected']);
    const { train, test, validation } = splitInstructionData(data);
    expect([train.length, test.length, validation.length]).toEqual([935, 110, 55]);
    expect(train[0]).toBe(data[0]);
    expect(test[0]).toBe(data[935]);
    expect(validation[0]).toBe(data[1_045]);
  });

  it('reads JSON lines, with output and input optional', () => {
    const lines =
      '{"instruction":"a","chosen":"b","rejected":"c"}\n{"instruction":"d","input":"e","output":"f","chosen":"g","rejected":"h"}\n';
    expect(parsePreferenceData(lines)).toEqual([
      { instruction: 'a', input: '', chosen: 'b', rejected: 'c' },
      { instruction: 'd', input: 'e', output: 'f', chosen: 'g', rejected: 'h' },
    ]);
  });

  it('names the entry and the field that is missing or not a string', () => {
    const bad = (text: string) => () => parsePreferenceData(text, 'prefs.json');
    expect(bad('[{"instruction":"a","chosen":"b"}]')).toThrow('prefs.json: entry 0 has no "rejected"');
    expect(
      bad('[{"instruction":"a","chosen":"b","rejected":"c"},{"instruction":"a","chosen":1,"rejected":"c"}]'),
    ).toThrow('prefs.json: entry 1: "chosen" must be a string, not 1');
    expect(bad('[{"instruction":"a","output":2,"chosen":"b","rejected":"c"}]')).toThrow(
      'prefs.json: entry 0: "output" must be a string, not 2',
    );
    expect(bad('[3]')).toThrow('prefs.json: entry 0 is not an object');
    expect(bad('[]')).toThrow(InstructionDataError);
  });
});

describe('collatePreferences', () => {
  const pairs = [
    { prompt: [1, 2], chosen: [3, 4], rejected: [5] },
    { prompt: [6], chosen: [7], rejected: [8, 9, 10] },
  ];

  it('pads both sides to the longest sequence and masks all but the response targets', () => {
    const batch = collatePreferences(pairs);
    expect([batch.batchSize, batch.length]).toEqual([2, 4]);
    expect([...batch.chosen.inputs]).toEqual([1, 2, 3, 4, 6, 7, E, E]);
    expect([...batch.chosen.targets]).toEqual([2, 3, 4, E, 7, E, E, E]);
    expect([...batch.chosen.mask]).toEqual([0, 1, 1, 0, 1, 0, 0, 0]);
    expect([...batch.rejected.inputs]).toEqual([1, 2, 5, E, 6, 8, 9, 10]);
    expect([...batch.rejected.targets]).toEqual([2, 5, E, E, 8, 9, 10, E]);
    expect([...batch.rejected.mask]).toEqual([0, 1, 0, 0, 1, 1, 1, 0]);
  });

  it('cuts to allowedMaxLength, and refuses a row left without a response token', () => {
    const cut = collatePreferences(pairs, { allowedMaxLength: 2, padTokenId: 0 });
    expect([...cut.rejected.inputs]).toEqual([1, 2, 6, 8]);
    expect([...cut.rejected.targets]).toEqual([2, 5, 8, 9]);
    expect([...cut.rejected.mask]).toEqual([0, 1, 1, 1]);
    expect(() => collatePreferences(pairs, { allowedMaxLength: 1 })).toThrow(
      'collatePreferences: row 0 has no response token within 1 positions',
    );
    expect(() => collatePreferences([])).toThrow('the batch is empty');
  });

  it('encodes an entry as its prompt with the response header, then each answer', () => {
    const tokenizer = getGPT2Tokenizer();
    const entry = data[0]!;
    for (const format of [alpaca, phi3]) {
      const pair = encodePreference(entry, tokenizer, format);
      expect(tokenizer.decode([...pair.prompt])).toBe(format.prompt(entry) + format.responseHeader);
      expect(tokenizer.decode([...pair.chosen])).toBe(entry.chosen);
      expect(tokenizer.decode([...pair.rejected])).toBe(entry.rejected);
    }
    expect(encodePreference(entry, tokenizer)).toEqual(encodePreference(entry, tokenizer, alpaca));
  });
});

describe('sequence log-probabilities and the DPO loss', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('averages the log-probability of each target over the masked positions of a row', () => {
    const logits = tf.tensor3d([
      [
        [0, 0],
        [Math.log(3), 0],
      ],
      [
        [Math.log(3), 0],
        [0, Math.log(3)],
      ],
    ]); // (2, 2, 2)
    const targets = tf.tensor2d(
      [
        [1, 0],
        [0, 0],
      ],
      [2, 2],
      'int32',
    );
    const mask = tf.tensor2d([
      [1, 1],
      [0, 1],
    ]);
    const got = sequenceLogProbs(logits, targets, mask).arraySync();
    expect(got[0]).toBeCloseTo((Math.log(0.5) + Math.log(0.75)) / 2, 6);
    expect(got[1]).toBeCloseTo(Math.log(0.25), 6);
    tf.dispose([logits, targets, mask]);
  });

  it('gives −log σ(β·margin) averaged, and the rewards β·(π − ref)', () => {
    const t = (values: number[]) => tf.tensor1d(values);
    const result = dpoLoss(
      {
        policyChosen: t([-1, -2]),
        policyRejected: t([-2, -1]),
        referenceChosen: t([-1.5, -1.5]),
        referenceRejected: t([-1.5, -1.5]),
      },
      0.1,
    );
    const expected = (Math.log1p(Math.exp(-0.1)) + Math.log1p(Math.exp(0.1))) / 2;
    expect(result.loss.arraySync()).toBeCloseTo(expected, 6);
    const chosen = result.chosenRewards.dataSync();
    const rejected = result.rejectedRewards.dataSync();
    expect([...chosen].map((x) => +x.toFixed(6))).toEqual([0.05, -0.05]);
    expect([...rejected].map((x) => +x.toFixed(6))).toEqual([-0.05, 0.05]);
    expect(summarizeRewards([0.3, 0.1, 0], [0.1, 0.2, -0.3])).toEqual({
      chosen: expect.closeTo(0.4 / 3, 12),
      rejected: expect.closeTo(0, 12),
      margin: expect.closeTo(0.4 / 3, 12),
      accuracy: 2 / 3,
    });
    expect(() =>
      dpoLoss(
        { policyChosen: t([0]), policyRejected: t([0]), referenceChosen: t([0]), referenceRejected: t([0]) },
        0,
      ),
    ).toThrow('beta must be a positive number');
  });

  it('trains the policy in the loop: the loss falls from log 2, the reference does not move', async () => {
    const tokenizer = getGPT2Tokenizer();
    const policy = await tinyModel(7, 256);
    const reference = await tinyModel(7, 256);
    const batch = collatePreferences(
      data.slice(0, 2).map((entry) => encodePreference(entry, tokenizer)),
      {
        allowedMaxLength: 64,
      },
    );
    const train: BatchSource<PreferenceBatch> = { length: 1, batchSize: 2, batches: () => [batch] };
    const before = new Map(reference.namedParameters().map(([name, p]) => [name, p.dataSync().slice()]));
    const first = dpoBatchLoss(policy, reference, batch, 0.1);
    expect(first.loss.arraySync()).toBeCloseTo(Math.log(2), 6);
    tf.dispose(Object.values(first));
    const losses: number[] = [];
    for await (const event of trainModel({
      model: policy,
      train,
      objective: dpoObjective({ reference, beta: 0.1 }),
      lr: 1e-2,
      epochs: 5,
    })) {
      if (event.event === 'step') losses.push(event.loss);
    }
    expect(losses).toHaveLength(5);
    expect(losses[0]).toBeCloseTo(Math.log(2), 5);
    expect(losses[4]).toBeLessThan(losses[0]! - 1e-3);
    const after = dpoBatchLoss(policy, reference, batch, 0.1);
    const rewards = summarizeRewards(after.chosenRewards.dataSync(), after.rejectedRewards.dataSync());
    expect(rewards.margin).toBeGreaterThan(0);
    tf.dispose(Object.values(after));
    for (const [name, p] of reference.namedParameters()) expect(p.dataSync(), name).toEqual(before.get(name));
    expect(() => dpoBatchLoss(policy, policy, batch, 0.1)).toThrow('the reference must be a separate model');
    policy.dispose();
    reference.dispose();
  }, 120_000);

  it('evaluates pairs over batches: per-pair loss and rewards, at most maxBatches', async () => {
    const tokenizer = getGPT2Tokenizer();
    const policy = await tinyModel(3, 128);
    const reference = await tinyModel(4, 128);
    const encoded = data.slice(0, 3).map((entry) => encodePreference(entry, tokenizer));
    const whole = collatePreferences(encoded, { allowedMaxLength: 96 });
    const direct = dpoBatchLoss(policy, reference, whole, 0.1);
    const expected = summarizeRewards(direct.chosenRewards.dataSync(), direct.rejectedRewards.dataSync());
    const loss = direct.loss.dataSync()[0]!;
    tf.dispose(Object.values(direct));
    // The same three pairs in batches of 2 and 1 (each padded to its own length, which masks ignore).
    const batches = [encoded.slice(0, 2), encoded.slice(2)].map((part) =>
      collatePreferences(part, { allowedMaxLength: 96 }),
    );
    const before = tf.memory().numTensors;
    const got = await evaluatePreferences({ policy, reference, batches, beta: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(got.pairs).toBe(3);
    expect(got.loss).toBeCloseTo(loss, 5);
    for (const key of ['chosen', 'rejected', 'margin', 'accuracy'] as const) {
      expect(got[key], key).toBeCloseTo(expected[key], 5);
    }
    const first = await evaluatePreferences({ policy, reference, batches, beta: 0.1, maxBatches: 1 });
    expect(first.pairs).toBe(2);
    await expect(evaluatePreferences({ policy, reference, batches: [], beta: 0.1 })).rejects.toThrow(
      'there are no pairs to evaluate',
    );
    policy.dispose();
    reference.dispose();
  }, 60_000);
});

/**
 * Parity with the book's model in PyTorch: fixtures written by tools/reference/make_fixtures.py
 * (weights in both layouts, inputs, logits, loss, gradients, greedy continuations), checked on every
 * backend. The contract is a max |logit difference| ≤ 1e-4 and identical greedy tokens.
 */
import { readFileSync } from 'node:fs';
import { initBackend, parseSafetensors, type SafetensorsTensor, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { loadModel } from './checkpoint/load.js';
import { generate } from './generate.js';
import type { GPTModel } from './gpt-model.js';

const fixtureNames = ['tiny-qkvbias-untied', 'tiny-noqkvbias-tied', 'tiny-noqkvbias-untied'] as const;
const read = (name: string, file: string) =>
  readFileSync(new URL(`../fixtures/${name}/${file}`, import.meta.url));
const json = (name: string, file: string): unknown => JSON.parse(read(name, file).toString('utf8'));
const safetensors = (name: string, file: string) =>
  parseSafetensors(new Uint8Array(read(name, file)), file).tensors;

function load(name: string, layout: 'book' | 'hf', weightsFile = `${layout}.safetensors`): GPTModel {
  const config = json(name, layout === 'book' ? 'config.json' : 'config.hf.json');
  return loadModel(config, new Uint8Array(read(name, weightsFile))).model.eval();
}

const entry = (tensors: Map<string, SafetensorsTensor>, key: string) => {
  const value = tensors.get(key);
  if (value == null) throw new Error(`fixture has no ${key}`);
  return value;
};
const ids = (t: SafetensorsTensor) => tf.tensor(t.data, t.shape, 'int32');
const rows = (t: SafetensorsTensor): number[][] => {
  const [batch, length] = t.shape as [number, number];
  return Array.from({ length: batch }, (_, b) => Array.from(t.data.subarray(b * length, (b + 1) * length)));
};

/** Mean next-token cross-entropy, picking each target logit from the flattened log-probabilities. */
function meanCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  const vocab = logits.shape[2] as number;
  const logProbs = tf.reshape(tf.logSoftmax(tf.reshape(logits, [-1, vocab])), [-1]);
  const flatTargets = tf.reshape(targets, [-1]);
  const rowStarts = tf.mul(tf.range(0, flatTargets.size, 1, 'int32'), tf.scalar(vocab, 'int32'));
  return tf.neg(tf.mean(tf.gather(logProbs, tf.add(rowStarts, flatTargets)))) as tf.Scalar;
}

const backends = await findTestBackends();

describe.each(backends)('PyTorch parity on $backend', ({ backend, available }) => {
  describe.each(fixtureNames)('%s', (name) => {
    const io = safetensors(name, 'io.safetensors');

    it.skipIf(!available).each(['book', 'hf'] as const)(
      'logits from the %s layout agree within 1e-4',
      async (layout) => {
        await initBackend({ prefer: backend });
        const model = load(name, layout);
        const logits = model.forward(ids(entry(io, 'input_ids')));
        expect(logits.shape).toEqual(entry(io, 'logits').shape);
        expect(maxAbsDiff(await logits.data(), entry(io, 'logits').data)).toBeLessThanOrEqual(1e-4);
        const loss = meanCrossEntropy(logits, ids(entry(io, 'targets')));
        expect(Math.abs((await loss.data())[0]! - entry(io, 'loss').data[0]!)).toBeLessThanOrEqual(1e-5);
        tf.dispose([logits, loss]);
        model.dispose();
      },
    );

    it.skipIf(!available)(
      'greedy continuations are identical, with and without the KV cache and past the context',
      async () => {
        await initBackend({ prefer: backend });
        const model = load(name, 'hf');
        for (const [prompt, expected] of [
          ['prompt_ids', 'greedy_ids'],
          ['long_prompt_ids', 'long_greedy_ids'],
        ] as const) {
          const promptIds = rows(entry(io, prompt))[0]!;
          const expectedIds = rows(entry(io, expected))[0]!.slice(promptIds.length);
          for (const useCache of [true, false]) {
            expect(await generate(model, promptIds, { maxNewTokens: expectedIds.length, useCache })).toEqual(
              expectedIds,
            );
          }
        }
        model.dispose();
      },
    );

    it.skipIf(!available)('gradients of the loss agree with PyTorch', async () => {
      await initBackend({ prefer: backend });
      const model = load(name, 'book');
      model.train(); // dropout is 0 in the fixtures: train mode changes nothing but is what PyTorch ran
      const expected = safetensors(name, 'grads.safetensors');
      const { grads } = tf.variableGrads(() =>
        meanCrossEntropy(model.forward(ids(entry(io, 'input_ids'))), ids(entry(io, 'targets'))),
      );
      const largest = Math.max(
        ...[...expected.values()].map((g) => maxAbsDiff(g.data, new Float32Array(g.data.length))),
      );
      for (const [parameterName, variable] of model.namedParameters()) {
        const reference = entry(expected, parameterName);
        const actual = await grads[variable.name]!.data();
        // Absolute, scaled to the largest gradient: some gradients are exactly zero in real arithmetic.
        expect(maxAbsDiff(actual, reference.data), parameterName).toBeLessThanOrEqual(1e-4 * largest);
      }
      tf.dispose(Object.values(grads));
      model.dispose();
    });
  });

  it.skipIf(!available).each([
    ['hf.f16.safetensors', 'hf', 'logits_f16'],
    ['book.bf16.safetensors', 'book', 'logits_bf16'],
  ] as const)('%s loads and gives its logits', async (file, layout, key) => {
    await initBackend({ prefer: backend });
    const io = safetensors('tiny-qkvbias-untied', 'io.safetensors');
    const model = load('tiny-qkvbias-untied', layout, file);
    const logits = await model.forward(ids(entry(io, 'input_ids'))).data();
    expect(maxAbsDiff(logits, entry(io, key).data)).toBeLessThanOrEqual(1e-4);
    model.dispose();
  });
});

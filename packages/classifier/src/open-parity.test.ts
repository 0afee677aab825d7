/**
 * The classifier on the open families against the PyTorch reference
 * (tools/reference/fixtures_classify_open.py; fixtures in ../fixtures/classifier-qwen3 and
 * classifier-gemma3), on every backend: the tiny Qwen3 and Gemma 3 models of the open-models fixtures
 * (Gemma 3 with its embedding scale, four norms a block and a logit soft-cap, which the class head
 * never sees) with a 2-class head on the final norm's output, batches of 4 right-padded texts of 12
 * tokens.
 *
 * - logits of both poolings, the loss and the accuracy of the initial model;
 * - ten AdamW steps through the trainer's loop with the last layer, the final norm and the head
 *   trainable: every loss within 1e-5, every trained weight within 1e-4, the frozen ones untouched.
 */
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { evaluateClassifier } from './evaluate.js';
import { classificationLoss, classLogits } from './objective.js';
import {
  expectLosses,
  type FixtureSettings,
  fixtureBatches,
  hostValues,
  initialOpenClassifier,
  readJson,
  readTensors,
  trainTenSteps,
} from './test-support/fixtures.js';

interface OpenClassifierSettings extends Omit<FixtureSettings, 'model'> {
  backbone: string;
  accuracy: Record<'last' | 'last-non-pad', number>;
  trainable_names: string[];
  parameters: { total: number; trainable: number };
}

const backends = await findTestBackends();

describe.each(['classifier-qwen3', 'classifier-gemma3'])('%s', (fixture) => {
  const settings = readJson<OpenClassifierSettings>(`${fixture}/config.json`);
  const io = readTensors(`${fixture}/io.safetensors`);
  const batches = fixtureBatches(fixture);

  describe.each(backends)('against PyTorch on $backend', ({ backend, available }) => {
    it.skipIf(!available)('gives the class logits of both poolings, the loss and the accuracy', async () => {
      await initBackend({ prefer: backend });
      const before = tf.memory().numTensors;
      for (const pooling of ['last', 'last-non-pad'] as const) {
        const model = initialOpenClassifier(fixture, pooling);
        const logits = classLogits(model, batches.all[0]!);
        expect(logits.shape).toEqual([4, 2]);
        expect(
          maxAbsDiff(await logits.data(), io.get(`logits.${pooling}`)!.data),
          pooling,
        ).toBeLessThanOrEqual(1e-5);
        const loss = classificationLoss(model, batches.all[0]!);
        expect(Math.abs((await loss.data())[0]! - io.get(`loss.${pooling}`)!.data[0]!)).toBeLessThanOrEqual(
          1e-5,
        );
        const evaluation = await evaluateClassifier(model, batches);
        expect(evaluation.examples).toBe(40);
        expect(evaluation.accuracy, pooling).toBe(settings.accuracy[pooling]);
        tf.dispose([logits, loss]);
        model.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it.skipIf(!available)(
      'trains ten AdamW steps of the last layer, the final norm and the head as PyTorch does',
      async () => {
        await initBackend({ prefer: backend });
        const before = tf.memory().numTensors;
        const model = initialOpenClassifier(fixture, 'last').trainOnly('last-block');
        const initial = await hostValues(model);
        const trainable = model
          .namedParameters()
          .filter(([, v]) => v.trainable)
          .map(([name]) => name);
        expect(trainable.toSorted()).toEqual(settings.trainable_names.toSorted());
        expect([model.numParameters(), model.numParameters({ trainable: true })]).toEqual([
          settings.parameters.total,
          settings.parameters.trainable,
        ]);
        const losses = await trainTenSteps(model, batches, settings.optimizer);
        expectLosses(losses, readJson<number[]>(`${fixture}/losses.json`));
        const final = readTensors(`${fixture}/final.safetensors`);
        for (const [name, values] of await hostValues(model)) {
          if (final.has(name))
            expect(maxAbsDiff(values, final.get(name)!.data), name).toBeLessThanOrEqual(1e-4);
          else expect(values, `${name} is frozen`).toEqual(initial.get(name));
        }
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      },
    );
  });
});

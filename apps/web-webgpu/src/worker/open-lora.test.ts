import { type AutocastPrecision, initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import verdict from '../assets/the-verdict.txt?raw';
import { OPEN_FAMILIES } from '../open-model-protocol.js';
import type { FromWorker, MessageOf } from '../protocol.js';
import { runOpenLora } from './open-lora.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

async function train(
  family: (typeof OPEN_FAMILIES)[number],
  steps: number,
  stopAtStep?: number,
  precision: AutocastPrecision = 'f32',
) {
  const messages: FromWorker[] = [];
  const controller = new AbortController();
  const settings = {
    family,
    rank: 4,
    lr: 0.05,
    steps,
    contextLength: 16,
    batchSize: 2,
    precision,
    text: verdict,
    seed: 123,
  };
  await runOpenLora(settings, controller.signal, (message) => {
    messages.push(message);
    if (message.type === 'step' && message.step === stopAtStep) controller.abort();
  });
  const of = <T extends FromWorker['type']>(type: T) =>
    messages.filter((m): m is MessageOf<T> => m.type === type);
  return { of };
}

describe('LoRA on a tiny random model of each open family', () => {
  it.each(OPEN_FAMILIES)(
    '%s: only the updates train, the validation loss falls, and nothing is left behind',
    async (family) => {
      const before = tf.memory().numTensors;
      const { of } = await train(family, 10);
      const [model] = of('open-lora-model');
      expect(model?.base).toBe('base weights in f32');
      expect(model?.trainable).toBeGreaterThan(0);
      expect(model!.trainable).toBeLessThan(model!.parameters / 10);
      const losses = of('step').map((step) => step.loss);
      expect(losses).toHaveLength(10);
      const evaluations = of('eval');
      expect(evaluations.map((evaluation) => evaluation.step)).toEqual([1, 10]);
      expect(evaluations[1]!.valLoss!).toBeLessThan(evaluations[0]!.valLoss! - 0.1);
      expect(of('trained')).toEqual([{ type: 'trained', step: 10, reason: 'completed' }]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.each([
    ['gemma3', 'bf16'],
    ['qwen3', 'f16'],
  ] as const)(
    '%s in %s: the frozen model is stored in 16 bits, and the updates still learn',
    async (family, precision) => {
      const before = tf.memory().numTensors;
      const { of } = await train(family, 10, undefined, precision);
      const [model] = of('open-lora-model');
      expect(model?.base).toBe(`base weights in ${precision}`);
      const evaluations = of('eval');
      expect(evaluations[1]!.valLoss!).toBeLessThan(evaluations[0]!.valLoss! - 0.1);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('stops after the step in progress', async () => {
    const { of } = await train('qwen3', 50, 2);
    expect(of('step').map((step) => step.step)).toEqual([1, 2]);
    expect(of('trained')).toEqual([{ type: 'trained', step: 2, reason: 'aborted' }]);
  });
});

import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { Generator, initBackend, Module, manualSeed, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LanguageModel, TrainBatch } from './batches.js';
import { NonFiniteWeightsError } from './finite-check.js';
import { calcLossLoader, languageModelObjective } from './loss.js';
import type { Objective } from './objective.js';
import { NonFiniteLossError, type TrainEvent, type TrainOptions, trainModel } from './train.js';
import {
  parseTrainingState,
  serializeTrainingState,
  type TrainingSnapshot,
  TrainingStateError,
} from './training-state.js';

const config = preset('gpt-nano', { vocabSize: 64, contextLength: 8, dropRate: 0.1 });
const corpus = (() => {
  const generator = new Generator(5);
  return Int32Array.from({ length: 260 }, (_, i) => (i % 5 === 0 ? generator.randint(0, 64) : (i * 7) % 64));
})();
const loader = (batchSize: number, shuffle = true) =>
  createDataLoader(new GPTDataset(corpus, { maxLength: 8, stride: 8 }), { batchSize, shuffle, seed: 3 });

function freshModel(seed: number, overrides = {}): GPTModel {
  manualSeed(seed);
  return new GPTModel({ ...config, ...overrides });
}

async function run(
  options: TrainOptions,
  onEvent: (event: TrainEvent) => void = () => {},
): Promise<TrainEvent[]> {
  const events: TrainEvent[] = [];
  for await (const event of trainModel(options)) {
    events.push(event);
    onEvent(event);
  }
  return events;
}

async function weights(model: Module): Promise<Map<string, Float32Array>> {
  return new Map([...(await model.hostStateDict())].map(([name, t]) => [name, t.data]));
}

const steps = (events: TrainEvent[]) => events.filter((e) => e.event === 'step');

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('trainModel', () => {
  const recipe = { lr: 2e-3, warmupSteps: 3, minLr: 1e-4, gradClip: 1, epochs: 2, maxSteps: 10 } as const;

  it('10 steps straight equal 5 steps, an interruption, and 5 resumed steps', async () => {
    const straight = freshModel(0);
    const straightEvents = await run({ model: straight, train: loader(4), ...recipe });
    expect(steps(straightEvents)).toHaveLength(10);

    const interrupted = freshModel(0);
    const controller = new AbortController();
    let saved: Uint8Array | undefined;
    let savedWeights: Awaited<ReturnType<Module['hostStateDict']>> | undefined;
    const first = await run(
      {
        model: interrupted,
        train: loader(4),
        ...recipe,
        signal: controller.signal,
        saveCheckpoint: async (snapshot) => {
          saved = serializeTrainingState(snapshot);
          savedWeights = await interrupted.hostStateDict();
          return `step ${snapshot.state.step}`;
        },
      },
      (event) => {
        if (event.event === 'step' && event.step === 5) controller.abort();
      },
    );
    expect(first.at(-1)).toMatchObject({ event: 'done', reason: 'aborted', step: 5, checkpoint: 'step 5' });
    interrupted.dispose();

    // A new process, in effect: other weights and another RNG position until the checkpoint is loaded.
    const resumed = freshModel(99);
    manualSeed(12345);
    resumed.loadStateDict(savedWeights!);
    const snapshot = parseTrainingState(saved!);
    expect(snapshot.state).toMatchObject({ step: 5, epoch: 0, batchInEpoch: 5 });
    const second = await run({ model: resumed, train: loader(4), resume: snapshot });
    expect(steps(second).map((e) => e.step)).toEqual([6, 7, 8, 9, 10]);
    expect(steps(second).map((e) => e.loss)).toEqual(
      steps(straightEvents)
        .slice(5)
        .map((e) => e.loss),
    );
    expect(await weights(resumed)).toEqual(await weights(straight));
    straight.dispose();
    resumed.dispose();
  });

  it('accumulating 4 micro-batches of 1 follows the same losses as batches of 4', async () => {
    const options = { lr: 1e-3, maxSteps: 3, epochs: 1 } as const;
    const noDropout = { dropRate: 0 };
    const whole = await run({ model: freshModel(1, noDropout), train: loader(4, false), ...options });
    const accumulated = await run({
      model: freshModel(1, noDropout),
      train: loader(1, false),
      gradAccum: 4,
      ...options,
    });
    const a = steps(whole).map((e) => e.loss);
    const b = steps(accumulated).map((e) => e.loss);
    expect(b).toHaveLength(3);
    for (const [i, loss] of a.entries()) expect(Math.abs(loss - b[i]!)).toBeLessThan(1e-5);
    expect(steps(accumulated).map((e) => e.tokensSeen)).toEqual([32, 64, 96]);
  });

  it('evaluates after the first step and every evalEvery steps, and reports the schedule', async () => {
    const model = freshModel(2);
    const events = await run({
      model,
      train: loader(2),
      validation: loader(2, false),
      evalEvery: 5,
      evalBatches: 2,
      maxSteps: 12,
      epochs: 2,
      lr: 1e-3,
      warmupSteps: 4,
      initialLr: 1e-5,
    });
    expect(events[0]).toMatchObject({ event: 'start', step: 0, totalSteps: 12, stepsPerEpoch: 16 });
    expect(events.filter((e) => e.event === 'eval').map((e) => e.step)).toEqual([1, 6, 11, 12]);
    const lrs = steps(events).map((e) => (e as { lr: number }).lr);
    expect(lrs[0]).toBeCloseTo(1e-5, 12);
    expect(lrs[4]).toBeCloseTo(1e-3, 12);
    expect(lrs[11]).toBeLessThan(lrs[5]!);
    expect(events.at(-1)).toMatchObject({ event: 'done', reason: 'completed', step: 12, checkpoint: null });
    model.dispose();
  });

  it('reports progress inside each step and stops right after the step in progress, skipping evaluation', async () => {
    const model = freshModel(8);
    const controller = new AbortController();
    const events = await run(
      {
        model,
        train: loader(1),
        validation: loader(2, false),
        gradAccum: 2,
        evalEvery: 1,
        evalBatches: 2,
        maxSteps: 10,
        signal: controller.signal,
      },
      (event) => {
        if (event.event === 'progress' && event.step === 3) controller.abort();
      },
    );
    const progress = events
      .filter((e) => e.event === 'progress')
      .map((e) => [e.step, e.phase, e.done, e.total]);
    // Step 1: two micro-batches, the update, then an evaluation of 2 + 2 batches (after step 1).
    expect(progress.slice(0, 9)).toEqual([
      [1, 'gradients', 0, 2],
      [1, 'gradients', 1, 2],
      [1, 'gradients', 2, 2],
      [1, 'update', 0, 1],
      [1, 'evaluation', 0, 4],
      [1, 'evaluation', 1, 4],
      [1, 'evaluation', 2, 4],
      [1, 'evaluation', 3, 4],
      [1, 'evaluation', 4, 4],
    ]);
    // Stopped during step 3: it finishes, is not evaluated, and the run ends there.
    const tail = events.slice(events.findIndex((e) => e.event === 'step' && e.step === 3));
    expect(tail.map((e) => e.event)).toEqual(['step', 'done']);
    expect(tail.at(-1)).toMatchObject({ reason: 'aborted', step: 3 });
    model.dispose();
  });

  it('keeps the tensor count flat over 100 steps', async () => {
    const model = freshModel(3);
    const counts: number[] = [];
    await run(
      { model, train: loader(2), epochs: 20, maxSteps: 100, lr: 1e-3, gradClip: 1, gradAccum: 2 },
      (event) => {
        if (event.event === 'step') counts.push(tf.memory().numTensors);
      },
    );
    expect(counts).toHaveLength(100);
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[1]]));
    model.dispose();
  }, 240_000);

  it('stops with a clear error on a non-finite loss, without saving', async () => {
    const inner = freshModel(4);
    let poisoned = false;
    class Poisonable extends Module {
      constructor() {
        super();
        this.registerModule('inner', inner);
      }
      forward(ids: tf.Tensor): tf.Tensor {
        return poisoned ? tf.mul(inner.forward(ids), Number.NaN) : inner.forward(ids);
      }
    }
    const saves: number[] = [];
    const model: LanguageModel = new Poisonable();
    const events: TrainEvent[] = [];
    const training = run(
      {
        model,
        train: loader(2),
        maxSteps: 10,
        checkpointEvery: 2,
        saveCheckpoint: async (s) => `${saves.push(s.state.step)}`,
      },
      (event) => {
        events.push(event);
        if (event.event === 'step' && event.step === 3) poisoned = true;
      },
    );
    await expect(training).rejects.toThrow(NonFiniteLossError);
    await expect(run({ model, train: loader(2), maxSteps: 2 })).rejects.toThrow(
      /^The loss became NaN at step 1 \(learning rate 0\.000400\); the weights were not updated\./,
    );
    expect(saves).toEqual([2]);
    expect(steps(events).map((e) => e.step)).toEqual([1, 2, 3]);
  });

  it('stops before saving when an update makes a weight non-finite, keeping the last good save', async () => {
    // lr · weightDecay overflows float32: the decay multiplies every weight by -Infinity (zeros by NaN).
    const saves: number[] = [];
    const training = run({
      model: freshModel(13),
      train: loader(2),
      lr: 3e38,
      weightDecay: 10,
      maxSteps: 3,
      checkpointEvery: 1,
      saveCheckpoint: async (s) => `${saves.push(s.state.step)}`,
    });
    await expect(training).rejects.toThrow(NonFiniteWeightsError);
    await expect(training).rejects.toThrow(/became non-finite by step 1 \(learning rate 3\.00e\+38\)/);
    expect(saves).toEqual([]);
  });

  it('refuses to save optimizer moments that overflowed, though the weights are finite', async () => {
    // Gradients near 1e30: their squares are infinite in float32, and an update divided by √∞ is 0.
    const base = languageModelObjective();
    const huge: Objective<LanguageModel, TrainBatch> = {
      loss: (model, batch, reduction) => tf.tidy(() => tf.mul(base.loss(model, batch, reduction), 1e30)),
      countTargets: (batch) => base.countTargets(batch),
    };
    const saves: number[] = [];
    const training = run({
      model: freshModel(14),
      train: loader(2),
      objective: huge,
      maxSteps: 3,
      checkpointEvery: 1,
      saveCheckpoint: async (s) => `${saves.push(s.state.step)}`,
    });
    await expect(training).rejects.toThrow(/'[\w.]+\.exp_avg_sq' became non-finite by step 1/);
    expect(saves).toEqual([]);
  });

  it('refuses eps 0, whose update is 0 / 0 for every weight without a gradient', async () => {
    await expect(run({ model: freshModel(15), train: loader(2), eps: 0, maxSteps: 1 })).rejects.toThrow(
      /^eps must be a number > 0/,
    );
  });
});

describe('calcLossLoader', () => {
  it('gives the same loss for every batch size', async () => {
    const model = freshModel(6).eval();
    const losses = [];
    for (const batchSize of [1, 2, 5, 31]) {
      const source = createDataLoader(new GPTDataset(corpus, { maxLength: 8, stride: 8 }), {
        batchSize,
        shuffle: false,
        dropLast: false,
      });
      const result = await calcLossLoader(model, source);
      expect(result.tokens).toBe(32 * 8);
      losses.push(result.loss);
    }
    for (const loss of losses) expect(Math.abs(loss - losses[0]!)).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('training state files', () => {
  it('round-trip exactly and refuse what is not one', async () => {
    const model = freshModel(7);
    let snapshot: TrainingSnapshot | undefined;
    await run({
      model,
      train: loader(2),
      maxSteps: 2,
      saveCheckpoint: async (s) => {
        snapshot = s;
        return 'saved';
      },
    });
    const bytes = serializeTrainingState(snapshot!);
    const back = parseTrainingState(bytes);
    expect(back.state).toEqual(snapshot!.state);
    expect([...back.moments.keys()]).toEqual([...snapshot!.moments.keys()]);
    expect(back.moments.get('tok_emb.weight')!.v.data).toEqual(
      snapshot!.moments.get('tok_emb.weight')!.v.data,
    );
    expect(() => parseTrainingState(bytes.subarray(0, 100))).toThrow(TrainingStateError);
    model.dispose();
  });
});

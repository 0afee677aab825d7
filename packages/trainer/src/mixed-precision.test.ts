/**
 * trainModel in mixed precision: loss scaling in f16 (skipped steps, back-off, the scale in the events
 * and the state), none in bf16, and a resumed f16 run continuing bit for bit.
 */
import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { type AutocastPrecision, Generator, initBackend, type Module, manualSeed } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TrainEvent, type TrainOptions, trainModel } from './train.js';
import { parseTrainingState, serializeTrainingState, type TrainingSnapshot } from './training-state.js';

const config = preset('gpt-nano', { vocabSize: 96, contextLength: 16, dropRate: 0.1 });
const corpus = (() => {
  const generator = new Generator(3);
  return Int32Array.from({ length: 16 * 12 + 1 }, () => generator.randint(0, 96));
})();
const loader = () =>
  createDataLoader(new GPTDataset(corpus, { maxLength: 16, stride: 16 }), { batchSize: 2, seed: 4 });

type StepEvent = Extract<TrainEvent, { event: 'step' }>;

async function run(options: TrainOptions, onStep: (event: StepEvent) => void = () => {}) {
  const steps: StepEvent[] = [];
  let snapshot: TrainingSnapshot | undefined;
  for await (const event of trainModel({
    ...options,
    saveCheckpoint: async (saved) => {
      snapshot = parseTrainingState(serializeTrainingState(saved));
      return 'saved';
    },
  })) {
    if (event.event === 'step') {
      steps.push(event);
      onStep(event);
    }
  }
  return { steps, snapshot: snapshot! };
}

async function weightsOf(model: Module): Promise<Map<string, Float32Array>> {
  return new Map([...(await model.hostStateDict())].map(([name, tensor]) => [name, tensor.data]));
}

const fresh = (seed = 5) => {
  manualSeed(seed);
  return new GPTModel(config);
};

// wasm rounds with its one-pass kernel; the rounding itself is checked on every backend in tensor.
beforeAll(() => initBackend({ prefer: 'wasm' }));

describe('trainModel in mixed precision', () => {
  it('f16 scales the loss by 2^16, reports the scale and saves it; bf16 and f32 do not scale', async () => {
    const byPrecision = new Map<AutocastPrecision, Awaited<ReturnType<typeof run>>>();
    for (const precision of ['f32', 'f16', 'bf16'] as const) {
      const model = fresh();
      byPrecision.set(precision, await run({ model, train: loader(), maxSteps: 3, lr: 1e-3, precision }));
      model.dispose();
    }
    const f16 = byPrecision.get('f16')!;
    expect(f16.steps.map((s) => [s.lossScale, s.skipped])).toEqual([
      [65536, false],
      [65536, false],
      [65536, false],
    ]);
    expect(f16.snapshot.state.lossScaler).toEqual({ scale: 65536, growthTracker: 3 });
    expect(f16.snapshot.state.settings.precision).toBe('f16');
    for (const precision of ['f32', 'bf16'] as const) {
      const other = byPrecision.get(precision)!;
      expect(other.steps.every((s) => !('lossScale' in s) && !('skipped' in s))).toBe(true);
      expect(other.snapshot.state.lossScaler).toBeUndefined();
      expect(other.snapshot.state.settings.precision).toBe(precision);
    }
    // The same first loss (the forward pass of the same weights) up to the rounding of the products.
    const first = (precision: AutocastPrecision) => byPrecision.get(precision)!.steps[0]!.loss;
    expect(Math.abs(first('f16') - first('f32'))).toBeLessThan(1e-2);
    expect(first('f16')).not.toBe(first('f32'));
  });

  it('skips the steps whose scaled gradients overflow, halving the scale until they fit', async () => {
    const model = fresh(6);
    const { snapshot } = await run({ model, train: loader(), maxSteps: 1, precision: 'f16' });
    // A scale far too large for half precision: the scaled gradients overflow to ∞.
    snapshot.state.lossScaler = { scale: 2 ** 28, growthTracker: 7 };
    snapshot.state.settings.totalSteps = 16;
    const before = await weightsOf(model);
    const { steps } = await run({ model, train: loader(), resume: snapshot });
    const skipped = steps.filter((s) => s.skipped);
    expect(skipped.length).toBeGreaterThan(0);
    // Every skip halves the scale and they come first, in a row; then the steps go through.
    expect(steps.slice(0, skipped.length).every((s) => s.skipped)).toBe(true);
    expect(steps.slice(0, skipped.length).map((s) => s.lossScale)).toEqual(
      skipped.map((_, i) => 2 ** (27 - i)),
    );
    expect(steps[skipped.length]!.skipped).toBe(false);
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(await weightsOf(model)).not.toEqual(before);
    model.dispose();
  });

  it('leaves the weights and the optimizer untouched on a skipped step', async () => {
    const model = fresh(7);
    const { snapshot } = await run({ model, train: loader(), maxSteps: 1, precision: 'f16' });
    snapshot.state.lossScaler = { scale: 2 ** 60, growthTracker: 0 };
    snapshot.state.settings.totalSteps = 2;
    const before = await weightsOf(model);
    const resumed = await run({ model, train: loader(), resume: snapshot });
    expect(resumed.steps.map((s) => [s.skipped, s.lossScale])).toEqual([[true, 2 ** 59]]);
    expect(await weightsOf(model)).toEqual(before);
    expect(resumed.snapshot.state.optimizer.step).toBe(snapshot.state.optimizer.step);
    expect(resumed.snapshot.state.lossScaler).toEqual({ scale: 2 ** 59, growthTracker: 0 });
    model.dispose();
  });

  it('resumes an f16 run bit for bit, its scale included', async () => {
    const recipe = { lr: 2e-3, warmupSteps: 2, gradClip: 1, maxSteps: 6, precision: 'f16' } as const;
    const straightModel = fresh(8);
    const straight = await run({ model: straightModel, train: loader(), ...recipe });

    const firstModel = fresh(8);
    const controller = new AbortController();
    const first = await run(
      { model: firstModel, train: loader(), ...recipe, signal: controller.signal },
      (e) => {
        if (e.step === 2) controller.abort();
      },
    );
    manualSeed(999);
    const resumed = await run({ model: firstModel, train: loader(), resume: first.snapshot });
    expect([...first.steps, ...resumed.steps].map((s) => [s.loss, s.lossScale])).toEqual(
      straight.steps.map((s) => [s.loss, s.lossScale]),
    );
    expect(await weightsOf(firstModel)).toEqual(await weightsOf(straightModel));
    expect(resumed.snapshot.state.lossScaler).toEqual(straight.snapshot.state.lossScaler);
    straightModel.dispose();
    firstModel.dispose();
  });

  it('refuses to resume in another precision', async () => {
    const model = fresh(9);
    const { snapshot } = await run({ model, train: loader(), maxSteps: 1, precision: 'bf16' });
    await expect(
      run({ model, train: loader(), resume: snapshot, maxSteps: 2, precision: 'f16' }),
    ).rejects.toThrow('The run was saved training in bf16; resume it in the same precision, not f16');
    await expect(run({ model, train: loader(), maxSteps: 1, precision: 'f8' as never })).rejects.toThrow(
      'precision must be one of f32, f16, bf16, got f8',
    );
    model.dispose();
  });

  it('reads a state saved before mixed precision as f32', async () => {
    const model = fresh(10);
    const { snapshot } = await run({ model, train: loader(), maxSteps: 1 });
    const old = structuredClone(snapshot);
    delete (old.state.settings as { precision?: string }).precision;
    const bytes = serializeTrainingState(old);
    expect(parseTrainingState(bytes).state.settings.precision).toBe('f32');
    model.dispose();
  });
});

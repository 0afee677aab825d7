/**
 * A run stopped, saved as checkpoint files and resumed in a fresh model continues exactly as if it had
 * never stopped, dropout included, on every backend.
 */
import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { GPTModel, loadModel, preset, serializeCheckpoint } from '@scratchgpt/gpt-model';
import { Generator, initBackend, type Module, manualSeed } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { type TrainEvent, type TrainOptions, trainModel } from './train.js';
import { parseTrainingState, serializeTrainingState, TrainingStateError } from './training-state.js';

const backends = await findTestBackends();
// Dropout on, so the resumed masks must continue the saved stream.
const config = preset('gpt-nano', { vocabSize: 160, contextLength: 16, dropRate: 0.1 });
const corpus = (() => {
  const generator = new Generator(11);
  return Int32Array.from({ length: 16 * 24 + 1 }, () => generator.randint(0, 160));
})();
const loader = (batchSize: number) =>
  createDataLoader(new GPTDataset(corpus, { maxLength: 16, stride: 16 }), { batchSize, seed: 4 });
const recipe = { lr: 3e-3, warmupSteps: 2, minLr: 1e-4, gradClip: 1, epochs: 3, maxSteps: 8 } as const;

async function run(options: TrainOptions, onEvent: (event: TrainEvent) => void = () => {}) {
  const losses: number[] = [];
  for await (const event of trainModel(options)) {
    if (event.event === 'step') losses.push(event.loss);
    onEvent(event);
  }
  return losses;
}

/** The training state saved when a run on batches of 3 stops after its first step. */
async function stateAfterOneStep(model: GPTModel): Promise<Uint8Array> {
  const controller = new AbortController();
  let state: Uint8Array | undefined;
  await run(
    {
      model,
      train: loader(3),
      maxSteps: 4,
      signal: controller.signal,
      saveCheckpoint: async (snapshot) => {
        state = serializeTrainingState(snapshot);
        return 'saved';
      },
    },
    () => controller.abort(),
  );
  return state as Uint8Array;
}

async function weightsOf(model: Module): Promise<Map<string, Float32Array>> {
  return new Map([...(await model.hostStateDict())].map(([name, tensor]) => [name, tensor.data]));
}

describe.each(backends)('resuming from checkpoint files on $backend', ({ backend, available }) => {
  it.skipIf(!available)('continues bit for bit, dropout included', async () => {
    await initBackend({ prefer: backend });
    manualSeed(21);
    const straight = new GPTModel(config);
    const straightLosses = await run({ model: straight, train: loader(3), ...recipe });

    manualSeed(21);
    const first = new GPTModel(config);
    const controller = new AbortController();
    let files: { config: Record<string, unknown>; weights: Uint8Array; state: Uint8Array } | undefined;
    const firstLosses = await run(
      {
        model: first,
        train: loader(3),
        ...recipe,
        signal: controller.signal,
        saveCheckpoint: async (snapshot) => {
          const checkpoint = await serializeCheckpoint(first);
          files = { ...checkpoint, state: serializeTrainingState(snapshot) };
          return 'saved';
        },
      },
      (event) => {
        if (event.event === 'step' && event.step === 4) controller.abort();
      },
    );
    first.dispose();
    // A new process, in effect: the default generator is elsewhere until the state restores it.
    manualSeed(999);
    const { model: resumed } = loadModel(files!.config, files!.weights);
    const resumedLosses = await run({
      model: resumed,
      train: loader(3),
      resume: parseTrainingState(files!.state),
    });
    expect([...firstLosses, ...resumedLosses]).toEqual(straightLosses);
    expect(await weightsOf(resumed)).toEqual(await weightsOf(straight));
    straight.dispose();
    resumed.dispose();
  });

  it.skipIf(!available)('refuses batches of another shape than the run was saved with', async () => {
    await initBackend({ prefer: backend });
    manualSeed(22);
    const model = new GPTModel(config);
    const state = await stateAfterOneStep(model);
    await expect(run({ model, train: loader(2), resume: parseTrainingState(state) })).rejects.toThrow(
      'The run was saved training on batches of 3 × 16, but the data given now has batches of 2 × 16: ' +
        'resume with the batch size and length it was saved with',
    );
    model.dispose();
  });
});

it('refuses a training state whose position is past the end of an epoch of the data', async () => {
  await initBackend({ prefer: 'cpu' });
  manualSeed(23);
  const model = new GPTModel(config);
  const resume = parseTrainingState(await stateAfterOneStep(model));
  resume.state.batchInEpoch = 1000;
  const resumed = run({ model, train: loader(3), resume });
  await expect(resumed).rejects.toThrow(TrainingStateError);
  await expect(run({ model, train: loader(3), resume })).rejects.toThrow(
    'The training state is at batch 1000 of its epoch, but an epoch of the data given has 8 batches: ' +
      'the state is damaged, or was saved training on other data',
  );
  model.dispose();
});

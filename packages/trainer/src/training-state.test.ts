/**
 * A training state read back from a file is checked field by field: every edit below once reached a
 * resume unnoticed (a hang, zero steps, a silently reset optimizer, a second key winning).
 */
import { createDataLoader, GPTDataset } from '@scratchgpt/data-loader';
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { initBackend, manualSeed, parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from './train.js';
import { parseTrainingState, serializeTrainingState, TrainingStateError } from './training-state.js';

let saved: Uint8Array;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  manualSeed(1);
  const model = new GPTModel(preset('gpt-nano', { vocabSize: 32, contextLength: 8 }));
  const ids = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 32);
  const train = createDataLoader(new GPTDataset(ids, { maxLength: 8, stride: 8 }), { batchSize: 2 });
  for await (const event of trainModel({
    model,
    train,
    maxSteps: 3,
    saveCheckpoint: async (snapshot) => {
      saved = serializeTrainingState(snapshot);
      return 'saved';
    },
  })) {
    if (event.event === 'done') break;
  }
  model.dispose();
});

/** The saved file with its state JSON rewritten, and optionally some moments left out. */
function edited(editJson: (text: string) => string, dropTensor?: string): Uint8Array {
  const file = parseSafetensors(saved);
  const tensors = new Map(
    [...file.tensors]
      .filter(([name]) => name !== dropTensor)
      .map(([n, t]) => [n, { shape: t.shape, data: t.data }]),
  );
  return serializeSafetensors(tensors, { ...file.metadata, state: editJson(file.metadata.state!) });
}

function set(path: string[], value: unknown) {
  return (text: string) => {
    const state = JSON.parse(text);
    let target = state;
    for (const key of path.slice(0, -1)) target = target[key];
    target[path.at(-1)!] = value;
    return JSON.stringify(state);
  };
}

describe('parseTrainingState', () => {
  it('reads back what was saved', () => {
    expect(parseTrainingState(saved).state).toMatchObject({
      version: 2,
      step: 3,
      settings: { batchSize: 2, maxLength: 8 },
    });
  });

  it.each([
    [set(['epoch'], 1e9), '"epoch" must be at most the steps done (3) and the epochs'],
    [set(['settings', 'epochs'], null), '"settings.epochs" must be an integer ≥ 1, got null'],
    [set(['settings', 'lr'], -1), '"settings.lr" must be a number > 0 within float32\'s range, got -1'],
    // Settings whose updates must be NaN: an infinite float32 rate, and 0 / 0 for a weight without gradient.
    [set(['settings', 'lr'], 1e39), '"settings.lr" must be a number > 0 within float32\'s range, got 1e+39'],
    [set(['settings', 'eps'], 0), '"settings.eps" must be a number > 0 within float32\'s range, got 0'],
    [
      set(['settings', 'schedule'], 'linear'),
      '"settings.schedule" must be "cosine" or "constant", got "linear"',
    ],
    [set(['settings', 'betas'], [0.9]), '"settings.betas" must be two numbers in [0, 1), got [0.9]'],
    [set(['rng'], [0, 0, 0, 0]), '"rng" must be four unsigned 32-bit integers, not all zero, got [0,0,0,0]'],
    [set(['step'], 'three'), '"step" must be an integer ≥ 0, got "three"'],
    [set(['history', 'steps'], {}), '"history.steps" must be a list, got {}'],
    [set(['version'], 1), 'it is training-state version 1; this scratchgpt reads version 2'],
    [(text: string) => text.replace('{"version"', '{"step":0,"version"'), 'duplicate key "step"'],
  ])('refuses an edited state (%#)', (edit, message) => {
    expect(() => parseTrainingState(edited(edit))).toThrow(TrainingStateError);
    expect(() => parseTrainingState(edited(edit))).toThrow(message);
  });

  it('refuses a state whose stepped parameter has no moments', () => {
    const bytes = edited((text) => text, 'tok_emb.weight.exp_avg');
    expect(() => parseTrainingState(bytes)).toThrow("'tok_emb.weight' lacks one of its two moments");
    const both = parseSafetensors(saved);
    const tensors = new Map(
      [...both.tensors]
        .filter(([name]) => !name.startsWith('final_norm.scale.'))
        .map(([n, t]) => [n, { shape: t.shape, data: t.data }]),
    );
    expect(() => parseTrainingState(serializeSafetensors(tensors, both.metadata))).toThrow(
      "no moments for 'final_norm.scale', which the optimizer has stepped",
    );
  });

  it('refuses moments holding infinities or NaN (a run saved after it diverged)', () => {
    const file = parseSafetensors(saved);
    const tensors = new Map([...file.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    (tensors.get('tok_emb.weight.exp_avg_sq')!.data as Float32Array)[3] = Number.POSITIVE_INFINITY;
    expect(() => parseTrainingState(serializeSafetensors(tensors, file.metadata))).toThrow(
      "training-state.safetensors: 'tok_emb.weight.exp_avg_sq' holds infinities or NaN (the run had diverged)",
    );
  });
});

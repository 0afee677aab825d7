/**
 * An open model's run directory: the tiny Qwen3 fixture trained two steps with and without LoRA,
 * saved as a run, read back. The run's top is a Hugging Face checkpoint (config.json, F32 weights,
 * the base's tokenizer files); LoRA updates are saved alone and merged on load.
 */
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADAPTER_FILE, applyLoRA } from '@scratchgpt/lora';
import { initBackend, serializeSafetensors, tf } from '@scratchgpt/tensor';
import { type BatchSource, type TrainBatch, type TrainingSnapshot, trainModel } from '@scratchgpt/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureWeights,
  huggingFaceConfig,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { isOpenModelDirectory, loadOpenRun, type OpenModelBase, saveOpenRun } from './open-model-run.js';
import { cleanRunDirectory, inspectDirectory, TRAINING_STATE_FILE } from './run-directory.js';
import type { RunTask } from './run-manifest.js';

const TOKENIZER_JSON = '{"model":{"type":"BPE"}}';
const task: RunTask = {
  task: 'pretrain',
  run: {
    data: 'text.txt',
    valRatio: 0.1,
    context: 8,
    batchSize: 2,
    shuffle: true,
    seed: 1,
    recompute: 'none',
  },
};

/** The fixture as a downloaded checkpoint, with a tokenizer.json (its content is only carried along). */
async function baseCheckpoint(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-open-run-base-'));
  await writeFile(join(directory, 'config.json'), JSON.stringify(huggingFaceConfig('qwen3-tiny')));
  await writeFile(join(directory, 'model.safetensors'), serializeSafetensors(fixtureWeights('qwen3-tiny')));
  await writeFile(join(directory, 'tokenizer.json'), TOKENIZER_JSON);
  return directory;
}

/** Two batches of 2 × 8 token ids below the fixture's vocabulary. */
const batches: BatchSource<TrainBatch> = {
  length: 2,
  batchSize: 2,
  maxLength: 8,
  *batches() {
    for (let b = 0; b < 2; b++) {
      const ids = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + b * 13) % 97);
      const targets = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + b * 13 + 1) % 97);
      yield { batchSize: 2, length: 8, inputs: ids, targets };
    }
  },
};

/** Trains two steps, saving the run after each; returns the last snapshot. */
async function trainTwoSteps(out: string, model: Parameters<typeof saveOpenRun>[1], base: OpenModelBase) {
  let last: TrainingSnapshot | undefined;
  for await (const _ of trainModel({
    model,
    train: batches,
    lr: 1e-2,
    epochs: 1,
    checkpointEvery: 1,
    saveCheckpoint: async (snapshot) => {
      last = snapshot;
      return saveOpenRun(out, model, base, snapshot, task);
    },
  })) {
    // events are not needed here
  }
  return last as TrainingSnapshot;
}

async function logitsOf(model: Parameters<typeof saveOpenRun>[1]): Promise<Float32Array> {
  const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
  const logits = model.forward(ids);
  const data = (await logits.data()) as Float32Array;
  tf.dispose([ids, logits]);
  return data;
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('an open model run directory', () => {
  it('holds a Hugging Face checkpoint at its top and resumes with its training state', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const baseDir = await baseCheckpoint();
    const baseContents = await inspectDirectory(baseDir, '--model');
    expect(baseContents.kind).toBe('checkpoint');
    expect(await isOpenModelDirectory(baseDir, baseContents)).toBe(true);
    const base = await loadOpenRun(baseDir, baseContents);
    expect(base.resume).toBeUndefined();
    expect([...base.sideFiles.keys()]).toEqual(['tokenizer.json']);

    const out = await mkdtemp(join(tmpdir(), 'scratchgpt-open-run-'));
    const snapshot = await trainTwoSteps(out, base.model, base);
    expect(snapshot.state.step).toBe(2);
    const top = (await readdir(out)).sort();
    expect(top).toEqual([
      'checkpoint.json',
      'checkpoints',
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
    expect(await readdir(join(out, 'checkpoints'))).toEqual(['step-000002']);
    expect(await readFile(join(out, 'tokenizer.json'), 'utf8')).toBe(TOKENIZER_JSON);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual({ ...huggingFaceConfig('qwen3-tiny'), torch_dtype: 'float32' });
    // The top's files are the current step's, not copies.
    const [a, b] = await Promise.all([
      stat(join(out, 'model.safetensors')),
      stat(join(out, 'checkpoints/step-000002/model.safetensors')),
    ]);
    expect(a.ino).toBe(b.ino);

    const contents = await inspectDirectory(out, '--model');
    expect(contents.kind).toBe('run');
    expect(await isOpenModelDirectory(out, contents)).toBe(true);
    const loaded = await loadOpenRun(out, contents);
    expect(loaded.resume?.snapshot.state.step).toBe(2);
    expect(loaded.resume?.manifest).toMatchObject({ task: 'pretrain', step: 2 });
    expect(await logitsOf(loaded.model)).toEqual(await logitsOf(base.model));
    expect(await cleanRunDirectory(out, loaded.resume?.manifest)).toEqual([]);
    loaded.model.dispose();
    base.model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('saves LoRA updates alone, merged on load for other commands and kept apart to train on', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const baseDir = await baseCheckpoint();
    const base = await loadOpenRun(baseDir, await inspectDirectory(baseDir, '--model'));
    const before = await base.model.hostStateDict();
    applyLoRA(base.model, { rank: 4, alpha: 8 });
    const out = await mkdtemp(join(tmpdir(), 'scratchgpt-open-run-lora-'));
    await trainTwoSteps(out, base.model, base);
    const step = join(out, 'checkpoints/step-000002');
    expect((await readdir(step)).sort()).toEqual([
      ADAPTER_FILE,
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      TRAINING_STATE_FILE,
    ]);
    const contents = await inspectDirectory(out, '--model');
    const kept = await loadOpenRun(out, contents, 'keep');
    // The saved weights are the frozen base's; the updates live beside them.
    const keptState = await kept.model.hostStateDict();
    for (const [name, { data }] of before) expect(keptState.get(name)?.data, name).toEqual(data);
    const trained = await logitsOf(base.model);
    expect(await logitsOf(kept.model)).toEqual(trained);
    const merged = await loadOpenRun(out, contents, 'merge');
    const mergedLogits = await logitsOf(merged.model);
    const largest = Math.max(...mergedLogits.map((value, i) => Math.abs(value - (trained[i] as number))));
    expect(largest).toBeLessThan(1e-4);
    expect(merged.model.parameters().every((parameter) => parameter.trainable)).toBe(true);
    for (const model of [base.model, kept.model, merged.model]) model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

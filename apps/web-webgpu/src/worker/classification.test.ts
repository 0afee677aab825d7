import { classify, loadClassifier } from '@scratchgpt/classifier';
import { initBackend, parseSafetensors, tf } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { twoClassTsv } from '../../test/labelled-texts.js';
import type { ClassifierFileSet, ClassifierSummary, ClassifySettings } from '../classify-protocol.js';
import type { FromWorker, MessageOf } from '../protocol.js';
import { performClassify } from './classification.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

function settings(precision: ClassifySettings['precision']): ClassifySettings {
  return {
    content: twoClassTsv(80),
    fileName: 'texts.tsv',
    format: 'tsv',
    base: { kind: 'new', preset: 'gpt-nano', contextLength: 16 },
    pooling: 'last-non-pad',
    trainable: { loraRank: 4 },
    batchSize: 8,
    lr: 0.02,
    steps: 12,
    evalEvery: 0,
    precision,
    seed: 123,
  };
}

async function perform(message: Parameters<typeof performClassify>[0]): Promise<FromWorker[]> {
  const messages: FromWorker[] = [];
  await performClassify(message, undefined, new AbortController().signal, (m) => messages.push(m));
  return messages;
}

function one<T extends FromWorker['type']>(messages: FromWorker[], type: T): MessageOf<T> {
  const found = messages.filter((m): m is MessageOf<T> => m.type === type);
  expect(found).toHaveLength(1);
  return found[0] as MessageOf<T>;
}

describe('LoRA classify on a 16-bit base', () => {
  it('stores the base in bf16, learns, and saves rounded weights that load back with the same answers', async () => {
    const trained = await perform({ type: 'classify-train', settings: settings('bf16') });
    const summary = one(trained, 'classifier').classifier;
    expect(summary.source).toBe(
      'a new gpt-nano, fine-tuned on texts.tsv (base weights in bf16, bf16 products)',
    );
    expect(summary.trainable).toBe('LoRA rank 4');
    const losses = trained.flatMap((m) => (m.type === 'classify-step' ? [m.loss] : []));
    expect(losses).toHaveLength(12);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) - 0.1);

    const text = 'claim your free cash now';
    const answer = one(await perform({ type: 'classify-text', text }), 'classification');
    const files = one(await perform({ type: 'classify-save' }), 'classifier-files').files;
    // The base is saved as float32 holding bf16 values: every weight's low 16 bits are zero (biases
    // and the position table, small, stay float32).
    const weights = parseSafetensors(new Uint8Array(files.weights));
    expect(weights.tensors.has('wte.weight')).toBe(true);
    for (const [name, tensor] of weights.tensors) {
      if (!name.endsWith('.weight') || name === 'wpe.weight') continue;
      const bits = new Uint32Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length);
      expect(
        bits.every((word) => (word & 0xffff) === 0),
        name,
      ).toBe(true);
    }

    const before = tf.memory().numTensors;
    const loaded = loadClassifier(fileContents(files));
    const again = await classify(loaded.classifier, getGPT2Tokenizer(), text, loaded.settings);
    expect(again.label).toBe(answer.label);
    for (const [i, p] of again.probabilities.entries())
      expect(p).toBeCloseTo(answer.probabilities[i] as number, 5);
    loaded.classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // And back into the worker, in float32 now, with the same answer.
    await perform({ type: 'classify-load', files, names: {} });
    const reloaded = one(await perform({ type: 'classify-text', text }), 'classification');
    for (const [i, p] of reloaded.probabilities.entries())
      expect(p).toBeCloseTo(answer.probabilities[i] as number, 5);
  });

  it('keeps the base in float32 at f32, saying so, and counts the 16-bit weights as parameters too', async () => {
    const summaries = [];
    for (const precision of ['bf16', 'f32'] as const) {
      const trained = await perform({
        type: 'classify-train',
        settings: { ...settings(precision), steps: 1 },
      });
      summaries.push(one(trained, 'classifier').classifier);
    }
    const [half, full] = summaries as [ClassifierSummary, ClassifierSummary];
    expect(full.source).toBe('a new gpt-nano, fine-tuned on texts.tsv (base weights in f32)');
    expect(half.parameters).toBe(full.parameters);
    expect(half.trainableParameters).toBe(full.trainableParameters);
    expect(half.trainableParameters).toBeLessThan(half.parameters / 10);
  });
});

function fileContents(files: ClassifierFileSet) {
  return {
    config: JSON.parse(files.config) as unknown,
    weights: new Uint8Array(files.weights),
    head: new Uint8Array(files.head),
    settings: JSON.parse(files.settings) as unknown,
    ...(files.adapters ? { adapters: new Uint8Array(files.adapters) } : {}),
  };
}

/**
 * The PyTorch fixtures of the classifier (../../fixtures/classifier-gpt, lora-classifier; written by
 * tools/reference/make_fixtures.py, described in tools/reference/README.md): a small GPT with a
 * 2-class head, its batches, and what the reference computed.
 */
import { readFileSync } from 'node:fs';
import { GPTModel, parseConfigJson } from '@scratchgpt/gpt-model';
import { type HostTensor, parseSafetensors } from '@scratchgpt/tensor';
import type { BatchSource } from '@scratchgpt/trainer';
import type { ClassificationBatch } from '../data/loader.js';
import { GPTClassifier, type Pooling } from '../model/gpt-classifier.js';

const url = (path: string) => new URL(`../../fixtures/${path}`, import.meta.url);

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(url(path), 'utf8')) as T;
}

/** Every tensor of a fixture file, by name. */
export function readTensors(path: string): Map<string, HostTensor & { data: Float32Array | Int32Array }> {
  return parseSafetensors(new Uint8Array(readFileSync(url(path))), path).tensors as Map<
    string,
    HostTensor & { data: Float32Array | Int32Array }
  >;
}

export interface FixtureSettings {
  model: Record<string, unknown>;
  num_classes: number;
  pad_token_id: number;
  steps: number;
  pooling: Pooling;
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
}

/** The fixture's classifier with its initial weights (`classifier-gpt/initial.safetensors`). */
export function initialClassifier(settings: FixtureSettings, pooling: Pooling): GPTClassifier {
  const { config } = parseConfigJson(settings.model);
  const classifier = new GPTClassifier(new GPTModel({ ...config, tieWeights: true }), {
    numClasses: settings.num_classes,
    pooling,
  });
  classifier.loadStateDict(readTensors('classifier-gpt/initial.safetensors') as Map<string, HostTensor>);
  return classifier.eval();
}

/** The fixture's batches in order, as a loader: ids [steps, B, T], lengths and labels [steps, B]. */
export function fixtureBatches(): BatchSource<ClassificationBatch> & { all: ClassificationBatch[] } {
  const tensors = readTensors('classifier-gpt/batches.safetensors');
  const [steps, batchSize, length] = tensors.get('ids')!.shape as [number, number, number];
  const slice = (name: string, step: number, size: number) =>
    Int32Array.from(tensors.get(name)!.data.subarray(step * size, (step + 1) * size));
  const all = Array.from({ length: steps }, (_, step) => ({
    inputs: slice('ids', step, batchSize * length),
    lengths: slice('lengths', step, batchSize),
    labels: slice('labels', step, batchSize),
    batchSize,
    length,
  }));
  return {
    all,
    length: steps,
    batchSize,
    maxLength: length,
    batches: (_epoch = 0, start = 0) => all.slice(start),
  };
}

export async function hostValues(classifier: GPTClassifier): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of classifier.namedParameters())
    out.set(name, (await variable.data()) as Float32Array);
  return out;
}

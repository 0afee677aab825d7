/**
 * The PyTorch fixtures of the classifier (../../fixtures/classifier-gpt, lora-classifier,
 * classifier-qwen3, classifier-gemma3; written by tools/reference/make_fixtures.py, described in
 * tools/reference/README.md): a small GPT, or a tiny open model of the open-models fixtures, with a
 * 2-class head, its batches, and what the reference computed.
 */
import { readFileSync } from 'node:fs';
import { GPTModel, parseConfigJson } from '@scratchgpt/gpt-model';
import { Gemma3Model, loadWeights, Qwen3Model } from '@scratchgpt/open-models';
import { type HostTensor, parseSafetensors } from '@scratchgpt/tensor';
import { type BatchSource, type TrainEvent, trainModel } from '@scratchgpt/trainer';
import { expect } from 'vitest';
import type { ClassificationBatch } from '../data/loader.js';
import { GPTClassifier, type Pooling } from '../model/gpt-classifier.js';
import { classificationObjective } from '../objective.js';

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

/** The open models the open-family fixtures classify with (packages/open-models/fixtures). */
const OPEN_BACKBONES = {
  'qwen3-tiny': (config: never) => new Qwen3Model(config),
  'gemma3-tiny': (config: never) => new Gemma3Model(config),
};

/**
 * An open-family fixture's classifier (`classifier-qwen3`, `classifier-gemma3`): the open-models
 * fixture's model with the head of `head.safetensors`.
 */
export function initialOpenClassifier(fixture: string, pooling: Pooling): GPTClassifier {
  const settings = readJson<{ backbone: keyof typeof OPEN_BACKBONES; num_classes: number }>(
    `${fixture}/config.json`,
  );
  const backbone = (file: string) =>
    readFileSync(new URL(`../../../open-models/fixtures/${settings.backbone}/${file}`, import.meta.url));
  const model = OPEN_BACKBONES[settings.backbone](
    JSON.parse(backbone('config.json').toString('utf8')) as never,
  );
  loadWeights(model, new Uint8Array(backbone('weights.safetensors')), 'weights.safetensors');
  const classifier = new GPTClassifier(model, { numClasses: settings.num_classes, pooling });
  classifier.outHead.loadStateDict(
    new Map(
      [...readTensors(`${fixture}/head.safetensors`)].map(([name, tensor]) => [
        name.replace('out_head.', ''),
        tensor,
      ]),
    ),
  );
  return classifier.eval();
}

/** A fixture's batches in order, as a loader: ids [steps, B, T], lengths and labels [steps, B]. */
export function fixtureBatches(
  fixture = 'classifier-gpt',
): BatchSource<ClassificationBatch> & { all: ClassificationBatch[] } {
  const tensors = readTensors(`${fixture}/batches.safetensors`);
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

/** Trains through `trainModel` as the reference did: the batches in order, one epoch, no evaluation. */
export async function trainTenSteps(
  model: GPTClassifier,
  batches: BatchSource<ClassificationBatch>,
  optimizer: FixtureSettings['optimizer'],
): Promise<number[]> {
  const losses: number[] = [];
  for await (const event of trainModel({
    model,
    train: batches,
    objective: classificationObjective(),
    lr: optimizer.lr,
    betas: optimizer.betas,
    eps: optimizer.eps,
    weightDecay: optimizer.weight_decay,
    epochs: 1,
  }) as AsyncGenerator<TrainEvent>) {
    if (event.event === 'step') losses.push(event.loss);
  }
  return losses;
}

/** Each loss within 1e-5 of the reference's. */
export function expectLosses(losses: number[], expected: number[]): void {
  expect(losses).toHaveLength(expected.length);
  for (const [step, loss] of losses.entries()) {
    expect(Math.abs(loss - expected[step]!), `loss ${step}`).toBeLessThanOrEqual(1e-5);
  }
}

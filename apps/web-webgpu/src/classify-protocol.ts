/**
 * The classify mode's messages between the page and the worker: fine-tune a classifier on labelled
 * texts, classify a text, load and save a classifier. Part of `ToWorker` and `FromWorker`.
 */
import type { Classification, LabelledFormat, Pooling, TrainablePart } from '@scratchgpt/classifier';
import type { PresetName } from '@scratchgpt/gpt-model';
import type { AutocastPrecision } from '@scratchgpt/tensor';
import type { TrainEventOf } from './protocol.js';

export interface ClassifySettings {
  /** The labelled file's content and name (the name appears in error messages). */
  content: string;
  fileName: string;
  format: LabelledFormat;
  textColumn?: string | number;
  labelColumn?: string | number;
  /** Fine-tune the page's current GPT (a copy of it), or a new model of a preset size. */
  base: { kind: 'current' } | { kind: 'new'; preset: PresetName; contextLength: number };
  pooling: Pooling;
  /** A part of the model, or LoRA updates of this rank (alpha = rank). */
  trainable: TrainablePart | { loraRank: number };
  maxLength?: number;
  batchSize: number;
  lr: number;
  steps: number;
  evalEvery: number;
  /**
   * The products' precision in training (the Data and model card's); with LoRA, f16 and bf16 also
   * store the frozen base in that precision.
   */
  precision: AutocastPrecision;
  seed: number;
}

export interface ClassifierSummary {
  classes: string[];
  maxLength: number;
  pooling: Pooling;
  trainable: string;
  parameters: number;
  trainableParameters: number;
  source: string;
}

/** A classifier's files, as `serializeClassifier` gives them (`adapters` with LoRA). */
export interface ClassifierFileSet {
  config: string;
  weights: ArrayBuffer;
  head: ArrayBuffer;
  settings: string;
  adapters?: ArrayBuffer;
}

export type ClassifyToWorker =
  | { type: 'classify-train'; settings: ClassifySettings }
  | { type: 'classify-text'; text: string }
  | { type: 'classify-load'; files: ClassifierFileSet; names: Record<string, string> }
  | { type: 'classify-save' };

export type ClassifyFromWorker =
  | { type: 'classifier'; classifier: ClassifierSummary }
  | {
      type: 'classify-data';
      rows: number;
      kept: number;
      train: number;
      validation: number;
      test: number;
      maxLength: number;
      batchesPerEpoch: number;
    }
  /** The trainer's events, with the accuracies of the evaluations and the test split's at the end. */
  | ({ type: 'classify-step' } & Pick<TrainEventOf<'step'>, 'step' | 'loss'>)
  | ({ type: 'classify-eval'; trainAccuracy: number; valAccuracy: number | null } & Pick<
      TrainEventOf<'eval'>,
      'step' | 'trainLoss' | 'valLoss'
    >)
  | ({ type: 'classify-trained'; testAccuracy: number | null } & Pick<
      TrainEventOf<'done'>,
      'step' | 'reason'
    >)
  /** A text's class and every class's probability, under the classifier's class names. */
  | ({ type: 'classification'; classes: string[] } & Classification)
  | { type: 'classifier-files'; files: ClassifierFileSet };

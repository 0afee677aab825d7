/**
 * The classify mode's messages between the page and the worker: fine-tune a classifier on labelled
 * texts, classify a text, load and save a classifier. Part of `ToWorker` and `FromWorker`.
 */
import type { LabelledFormat, Pooling, TrainablePart } from '@scratchgpt/classifier';
import type { PresetName } from '@scratchgpt/gpt-model';

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
  | { type: 'classify-step'; step: number; loss: number }
  | {
      type: 'classify-eval';
      step: number;
      trainLoss: number;
      valLoss: number | null;
      trainAccuracy: number;
      valAccuracy: number | null;
    }
  | { type: 'classify-trained'; step: number; reason: 'completed' | 'aborted'; testAccuracy: number | null }
  | {
      type: 'classification';
      text: string;
      label: string;
      classes: string[];
      probabilities: number[];
      truncated: boolean;
    }
  | { type: 'classifier-files'; files: ClassifierFileSet };

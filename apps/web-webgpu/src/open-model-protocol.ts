/**
 * Qwen3, Llama 3.2 and Gemma 3 between the page and the worker: loading one from the Hub (judged from
 * its config.json first), and LoRA-tuning a tiny random model of a family. Part of `ToWorker` and
 * `FromWorker`; chatting goes through the chat card's `chat` task with `model: 'open'`.
 */

import type { AutocastPrecision, StoragePrecision } from '@scratchgpt/tensor';

export const OPEN_FAMILIES = ['qwen3', 'llama3', 'gemma3'] as const;
export type OpenFamilyName = (typeof OPEN_FAMILIES)[number];

/** What a config.json describes and whether this backend can hold it, before any weight is fetched. */
export interface OpenModelCheck {
  id: string;
  family: string;
  /** The published size it matches (`Qwen3 0.6B`), or null for a size of its own. */
  preset: string | null;
  parameters: number;
  /** The precision the weights are to be stored in, and the bytes they take so. */
  precision: StoragePrecision;
  weightBytes: number;
  contextLength: number;
  /** The backend's memory ceiling, or null where none is known ahead (WebGPU). */
  budgetBytes: number | null;
  /** Why the memory check refuses it, or null when it allows it. */
  refusal: string | null;
  /** The published sizes that would fit, when this one does not. */
  fitting: string[];
}

/** The open model in the worker, once loaded. */
export interface OpenModelSummary {
  check: OpenModelCheck;
  commit: string;
  fromCache: boolean;
  downloadedBytes: number;
  /** The chat template has Qwen3's switch between thinking and direct answers. */
  thinkingSwitch: boolean;
}

/** "LoRA on an open model": a tiny random model of a family, its LoRA updates trained on the page's text. */
export interface OpenLoraSettings {
  family: OpenFamilyName;
  rank: number;
  lr: number;
  steps: number;
  contextLength: number;
  batchSize: number;
  /** The products' precision (the Data and model card's); f16 and bf16 also store the frozen model in it. */
  precision: AutocastPrecision;
  text: string;
  seed: number;
}

export type OpenModelToWorker =
  /**
   * An open model from the Hub (`endpoint`: the Hub's URL), cached in the browser, its weights stored in
   * `precision` as they load.
   */
  | { type: 'open-model'; id: string; endpoint: string; precision: StoragePrecision }
  | { type: 'open-lora'; settings: OpenLoraSettings };

export type OpenModelFromWorker =
  | { type: 'open-model-check'; check: OpenModelCheck }
  | { type: 'open-model-loaded'; model: OpenModelSummary }
  | {
      type: 'open-lora-model';
      family: OpenFamilyName;
      /** The decoder's family name and shape, in words. */
      description: string;
      parameters: number;
      trainable: number;
      /** "base weights in bf16", or why they stayed f32. */
      base: string;
    };

/**
 * The messages between the page and the training worker, typed once for both sides (the training
 * events derived from the trainer's). The page only asks and draws; every tensor lives in the worker.
 */
import type { GPTConfig, PresetName } from '@scratchgpt/gpt-model';
import type { DownloadProgress } from '@scratchgpt/hub';
import type { ChatAnswer, PromptFormatName } from '@scratchgpt/instruct';
import type { AutocastPrecision } from '@scratchgpt/tensor';
import type { TrainEvent } from '@scratchgpt/trainer';
import type { ClassifyFromWorker, ClassifyToWorker } from './classify-protocol.js';
import type { OpenModelFromWorker, OpenModelToWorker } from './open-model-protocol.js';
import type { PreferenceFromWorker, PreferenceToWorker } from './preference-protocol.js';

/** `auto` ranks backends as `@scratchgpt/tensor` does: a software WebGPU adapter below wasm. */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm';
/** Whose WebGPU kernels run: scratchgpt's (default) or TF.js's stock ones (`?kernels=tfjs`, for benchmarks). */
export type KernelRequest = 'scratchgpt' | 'tfjs';
export type Layout = 'hf' | 'book';

/** What "Train" starts from: a new model of a preset size, trained on a text. */
export interface TrainSettings {
  preset: PresetName;
  contextLength: number;
  batchSize: number;
  lr: number;
  /** Optimizer steps this run takes. */
  steps: number;
  /** Evaluate on both splits every this many steps (0: only at the end). */
  evalEvery: number;
  /** The products' precision in training (f16 with loss scaling); weights stay f32. */
  precision: AutocastPrecision;
  text: string;
  seed: number;
  /** Each block's activations recomputed in the backward pass instead of kept (less memory, more time). */
  recompute: boolean;
}

/** "Instruction-tune": the current model, fine-tuned on the book's instruction data in the worker. */
export interface InstructSettings {
  format: PromptFormatName;
  batchSize: number;
  lr: number;
  steps: number;
  evalEvery: number;
  seed: number;
}

export type ToWorker =
  /** `threads`: for wasm's threaded build, from `?threads=`; null for one per logical core. */
  | { type: 'init'; prefer: BackendRequest; kernels: KernelRequest; threads: number | null }
  | { type: 'train'; settings: TrainSettings }
  /** Continue the current model: the stopped run where there is one, else a new run on `settings`. */
  | { type: 'resume'; settings: TrainSettings }
  | { type: 'stop' }
  | { type: 'generate'; prompt: string; maxNewTokens: number; temperature: number; topK: number }
  | { type: 'attention'; prompt: string }
  | { type: 'instruct'; settings: InstructSettings }
  /**
   * A message answered after the conversation so far: by the current model in `format`, or by the open
   * model in its own chat template (`thinking`: Qwen3's switch, off unless asked for).
   */
  | {
      type: 'chat';
      message: string;
      model: ChatModelChoice;
      format: PromptFormatName;
      thinking: boolean;
      maxNewTokens: number;
      temperature: number;
    }
  | { type: 'chat-reset' }
  | { type: 'save'; layout: Layout }
  /** A checkpoint picked from disk: the weights stay in their File, read tensor by tensor by the worker. */
  | { type: 'load'; config: string; configName: string; weights: Blob; weightsName: string }
  /** A model from the Hugging Face Hub (`endpoint`: the Hub's URL), cached in the browser. */
  | { type: 'hub'; id: string; endpoint: string }
  | ClassifyToWorker
  | PreferenceToWorker
  | OpenModelToWorker;

/** Which model the chat answers with: the GPT of the cards above, or the open model loaded from the Hub. */
export type ChatModelChoice = 'gpt' | 'open';

export type Task = ToWorker['type'];

export interface ModelSummary {
  config: GPTConfig;
  parameters: number;
  /** Where the weights came from: a new model of a preset, or a checkpoint file in a layout. */
  source:
    | { kind: 'preset'; preset: PresetName }
    | { kind: 'checkpoint'; layout: Layout; name: string }
    | {
        kind: 'hub';
        id: string;
        commit: string;
        layout: Layout;
        fromCache: boolean;
        downloadedBytes: number;
      };
}

export type TrainEventOf<E extends TrainEvent['event']> = Extract<TrainEvent, { event: E }>;

/**
 * The trainer's events the page draws (for training, resuming and instruction tuning alike): the
 * message type each travels as and the fields it keeps. The rest (a step's learning rate, the final
 * training state) stays in the worker.
 */
export const trainMessages = {
  step: { type: 'step', fields: ['step', 'loss', 'tokensPerSec', 'tokensSeen'] },
  /** Work inside a step (slow steps): micro-batches done, the update, evaluation batches read. */
  progress: { type: 'progress', fields: ['step', 'phase', 'done', 'total'] },
  eval: { type: 'eval', fields: ['step', 'trainLoss', 'valLoss'] },
  done: { type: 'trained', fields: ['step', 'reason'] },
} as const satisfies {
  [E in TrainEvent['event']]?: { type: string; fields: readonly (keyof TrainEventOf<E>)[] };
};

type RelayedEvent = keyof typeof trainMessages;

/** `step`, `progress`, `eval` and `trained`: the trainer's events with the fields `trainMessages` keeps. */
export type TrainMessage = {
  [E in RelayedEvent]: { type: (typeof trainMessages)[E]['type'] } & Pick<
    TrainEventOf<E>,
    (typeof trainMessages)[E]['fields'][number] & keyof TrainEventOf<E>
  >;
}[RelayedEvent];

export type FromWorker =
  | {
      type: 'backend';
      backend: string;
      adapter: string | null;
      /** Why this backend: the ranking's reason, then why each faster one was passed over. */
      reason: string;
      skipped: string[];
      /** Whether the other backend (WebGPU or wasm) can be asked for. */
      alternative: BackendRequest | null;
      /** Why the backend is not the one asked for, if it is not. */
      note: string | null;
    }
  | { type: 'model'; model: ModelSummary }
  | { type: 'data'; trainTokens: number; validationTokens: number; batchesPerEpoch: number }
  | TrainMessage
  | { type: 'token'; text: string; tokens: number }
  /** The answer so far; `note` says what the history lost to fit the context. */
  | { type: 'chat-token'; text: string; note: string | null }
  | ({ type: 'chat-answer' } & Pick<ChatAnswer, 'text' | 'ended'>)
  | { type: 'generated'; text: string; tokens: number; stopped: boolean }
  | {
      type: 'attention';
      tokens: string[];
      layers: number;
      heads: number;
      /** (layers, heads, T, T) row-major: query rows, key columns. */
      weights: Float32Array;
      /** Prompt tokens left out at the start, to fit the context and the drawing. */
      dropped: number;
    }
  | { type: 'checkpoint'; config: string; weights: ArrayBuffer; layout: Layout }
  /** A Hub download under way: bytes of the file so far. */
  | ({ type: 'download' } & DownloadProgress)
  | ClassifyFromWorker
  | PreferenceFromWorker
  | OpenModelFromWorker
  | { type: 'error'; task: Task; message: string }
  /** Every task ends with this, after its result or its error. */
  | { type: 'idle'; task: Task };

/** The worker's message of a type, or of one of several types. */
export type MessageOf<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/**
 * The training worker: owns the backend, the model and the current training run, and does one task
 * at a time. "stop" is the exception: it aborts the task in progress, which ends after its current
 * step or token.
 */
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { manualSeed, type RecomputeMode } from '@scratchgpt/tensor';
import type { FromWorker, ModelSummary, Task, ToWorker, TrainSettings } from '../protocol.js';
import { promptAttention } from './attention.js';
import { deviceDescription, startBackend } from './backend.js';
import { resetChat, runChat } from './chat.js';
import { openModel, saveModel } from './checkpoint.js';
import { performClassify } from './classification.js';
import { prepareData } from './data.js';
import { runGeneration } from './generation.js';
import { loadFromHub } from './hub.js';
import { instructionRun } from './instruct.js';
import { resetOpenChat, runOpenChat } from './open-chat.js';
import { runOpenLora } from './open-lora.js';
import { loadOpenModelFromHub, type OpenChatModel } from './open-model.js';
import { runPreferenceTuning } from './preference.js';
import { runTraining, type TrainingRun } from './training.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let model: GPTModel | undefined;
/** The open model the chat can answer with, held beside the GPT above. */
let open: OpenChatModel | undefined;
let run: TrainingRun | undefined;
let busy: Task | undefined;
let controller: AbortController | undefined;

scope.onmessage = ({ data: message }) => {
  if (message.type === 'stop') {
    controller?.abort();
    return;
  }
  if (busy != null) {
    post({ type: 'error', task: message.type, message: `Busy with ${busy}: stop it or wait for it to end` });
    return;
  }
  busy = message.type;
  controller = new AbortController();
  perform(message, controller.signal)
    .catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      post({ type: 'error', task: message.type, message: text.split('\n')[0] ?? text });
    })
    .finally(() => {
      busy = undefined;
      controller = undefined;
      post({ type: 'idle', task: message.type });
    });
};

async function perform(message: ToWorker, signal: AbortSignal): Promise<void> {
  switch (message.type) {
    case 'init': {
      const { choice, note, alternative } = await startBackend(
        message.prefer,
        message.kernels,
        message.threads,
      );
      post({
        type: 'backend',
        backend: choice.backend,
        adapter: deviceDescription(choice),
        reason: choice.reason,
        skipped: choice.skipped.map(({ backend, reason }) => `${backend}: ${reason}`),
        alternative,
        note,
      });
      return;
    }
    case 'train':
      return train(message.settings, signal);
    case 'resume':
      return resume(message.settings, signal);
    case 'generate':
      return runGeneration(currentModel(), message, signal, post);
    case 'instruct': {
      // A run of its own on the current model's weights; "Resume" then continues it.
      const current = currentModel();
      run = instructionRun(message.settings, current.config.contextLength, post);
      resetChat();
      await runTraining(current, run, message.settings.steps, signal, post);
      return;
    }
    case 'preference':
      // The model is tuned in place: the chat answers with it next.
      resetChat();
      return runPreferenceTuning(currentModel(), message.settings, signal, post);
    case 'chat':
      if (message.model === 'open')
        return runOpenChat(currentOpenModel(), { ...message, model: 'open' }, signal, post);
      return runChat(currentModel(), message, signal, post);
    case 'chat-reset':
      resetChat();
      resetOpenChat();
      return;
    case 'open-model': {
      const loaded = await loadOpenModelFromHub(
        message.id,
        message.endpoint,
        message.precision,
        signal,
        post,
      );
      resetOpenChat();
      open?.model.dispose();
      open = loaded;
      post({ type: 'open-model-loaded', model: loaded.summary });
      return;
    }
    case 'open-lora':
      return runOpenLora(message.settings, signal, post);
    case 'attention': {
      const result = await promptAttention(currentModel(), message.prompt);
      post(result, [result.weights.buffer as ArrayBuffer]);
      return;
    }
    case 'save': {
      const result = await saveModel(currentModel(), message.layout);
      post(result, [result.weights]);
      return;
    }
    case 'classify-train':
    case 'classify-text':
    case 'classify-load':
    case 'classify-save':
      return performClassify(message, model, signal, post);
    case 'load': {
      const loaded = await openModel(message);
      replaceModel(loaded.model, {
        config: loaded.config,
        parameters: loaded.model.numParameters(),
        source: { kind: 'checkpoint', layout: loaded.layout, name: message.weightsName },
      });
      run = undefined;
      return;
    }
    case 'hub': {
      const loaded = await loadFromHub(message.id, message.endpoint, signal, post);
      replaceModel(loaded.model, {
        config: loaded.config,
        parameters: loaded.model.numParameters(),
        source: {
          kind: 'hub',
          id: message.id,
          commit: loaded.commit,
          layout: loaded.layout,
          fromCache: loaded.source === 'cache' || loaded.downloadedBytes === 0,
          downloadedBytes: loaded.downloadedBytes,
        },
      });
      run = undefined;
      return;
    }
  }
}

async function train(settings: TrainSettings, signal: AbortSignal): Promise<void> {
  const nextRun = newRun(settings, settings.contextLength);
  manualSeed(settings.seed);
  const config = preset(settings.preset, { contextLength: settings.contextLength });
  const created = new GPTModel(config, { recompute: recomputeOf(settings) });
  replaceModel(created, {
    config,
    parameters: created.numParameters(),
    source: { kind: 'preset', preset: settings.preset },
  });
  run = nextRun;
  await runTraining(created, run, settings.steps, signal, post);
}

/** Continues the stopped run; a loaded checkpoint starts a run of its own on the page's text. */
async function resume(settings: TrainSettings, signal: AbortSignal): Promise<void> {
  const current = currentModel();
  current.recompute = recomputeOf(settings);
  run ??= newRun(settings, Math.min(settings.contextLength, current.config.contextLength));
  await runTraining(current, run, settings.steps, signal, post);
}

function recomputeOf(settings: TrainSettings): RecomputeMode {
  return settings.recompute ? 'blocks' : 'none';
}

function newRun(settings: TrainSettings, contextLength: number): TrainingRun {
  const data = prepareData(settings.text, { ...settings, contextLength });
  post({
    type: 'data',
    trainTokens: data.trainTokens,
    validationTokens: data.validationTokens,
    batchesPerEpoch: data.train.length,
  });
  return { data, lr: settings.lr, evalEvery: settings.evalEvery, precision: settings.precision };
}

function currentModel(): GPTModel {
  if (model == null) throw new Error('There is no model yet: train one or load a checkpoint first');
  return model;
}

function currentOpenModel(): OpenChatModel {
  if (open == null) throw new Error('There is no open model yet: load one from the Hub in the chat card');
  return open;
}

function replaceModel(next: GPTModel, summary: ModelSummary): void {
  resetChat();
  model?.dispose();
  model = next;
  post({ type: 'model', model: summary });
}

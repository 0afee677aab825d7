/**
 * The page: reads the controls, sends tasks to the training worker and draws what comes back. No
 * tensor math happens here, so the page stays responsive while the worker trains.
 */
import {
  CONFIG_FILE,
  type GPTConfig,
  isPresetName,
  type PresetName,
  preset,
  WEIGHTS_FILE,
} from '@scratchgpt/gpt-model';
import verdict from './assets/the-verdict.txt?raw';
import { createClassifyPage } from './classify/page.js';
import type {
  BackendRequest,
  FromWorker,
  InstructSettings,
  KernelRequest,
  Layout,
  ModelSummary,
  Task,
  ToWorker,
  TrainSettings,
} from './protocol.js';
import { appendTurn, showAnswer } from './ui/chat-log.js';
import { download, pickCheckpointFiles } from './ui/checkpoint-files.js';
import { findElements } from './ui/elements.js';
import { readInteger, readNumber } from './ui/form.js';
import { heatmapMarkup } from './ui/heatmap.js';
import { describeHubLoad, hubEndpoint, hubOrigin, hubRequest, showDownload } from './ui/hub-panel.js';
import { LossChart } from './ui/loss-chart.js';
import { describeModelSize, pickerPresets, presetLabel } from './ui/model-size.js';
import './style.css';

const ui = findElements();
const asked = new URLSearchParams(location.search).get('backend');
const prefer: BackendRequest = asked === 'wasm' || asked === 'webgpu' ? asked : 'auto';
const kernels: KernelRequest =
  new URLSearchParams(location.search).get('kernels') === 'tfjs' ? 'tfjs' : 'scratchgpt';
const chart = new LossChart(ui.lossChart);
const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });

const state = {
  ready: false,
  busy: undefined as Task | undefined,
  model: undefined as ModelSummary | undefined,
  attention: undefined as (FromWorker & { type: 'attention' }) | undefined,
  /** Tokens/s of the latest steps, averaged for a steady figure. */
  rates: [] as number[],
  /** Draw the heatmap for the prompt once the generation ends. */
  attentionAfterGeneration: false,
  /** The step in progress and what it is doing, shown with a running clock on slow steps. */
  stepInProgress: undefined as { step: number; doing: string; since: number } | undefined,
  /** Stop was clicked: the step in progress finishes first. */
  stopping: false,
  /** The chat answer streaming in. */
  answer: undefined as HTMLElement | undefined,
};

/** Tasks that run training steps: the step counter, the chart and Stop follow them. */
function training(): boolean {
  return state.busy === 'train' || state.busy === 'resume' || state.busy === 'instruct';
}

const setupControls = [
  ui.trainingText,
  ui.uploadText,
  ui.resetText,
  ui.modelSize,
  ui.contextLength,
  ui.batchSize,
  ui.lr,
  ui.steps,
  ui.evalEvery,
];

const classifyPage = createClassifyPage({
  start,
  stop: () => worker.postMessage({ type: 'stop' } satisfies ToWorker),
  newModel: () => ({ preset: selectedPreset(), contextLength: contextLength() }),
  guarded,
});

// ---- controls -------------------------------------------------------------------------------------

function refreshControls(): void {
  const idle = state.ready && state.busy == null;
  const modelIdle = idle && state.model != null;
  ui.train.disabled = !idle;
  ui.resume.disabled = !modelIdle;
  ui.stop.disabled = !(training() || state.busy === 'generate' || state.busy === 'hub');
  ui.generate.disabled = !modelIdle;
  ui.showAttention.disabled = !modelIdle;
  ui.saveModel.disabled = !modelIdle;
  ui.loadModel.disabled = !idle;
  ui.loadHub.disabled = !idle;
  for (const control of setupControls) control.disabled = !idle;
  classifyPage.refresh(state);
  ui.instructTrain.disabled = !modelIdle;
  ui.chatSend.disabled = !modelIdle;
  ui.chatReset.disabled = !modelIdle;
  ui.chatStop.disabled = state.busy !== 'chat';
}

function start(message: ToWorker, transfer: Transferable[] = []): void {
  showError(null);
  clearFailure(message.type);
  state.busy = message.type;
  refreshControls();
  worker.postMessage(message, transfer);
}

/** Runs an action of the page, showing what it throws. */
function guarded(action: () => void | Promise<void>): () => void {
  return () => {
    Promise.resolve()
      .then(action)
      .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
  };
}

function showError(message: string | null): void {
  ui.error.textContent = message ?? '';
  ui.error.hidden = message == null;
}

/**
 * Progress and failures show in the card that started the work: instruction tuning and chat in
 * theirs, everything else of the language model in the Train card's status line.
 */
function statusOf(task: Task | undefined): HTMLElement {
  return task === 'instruct' || task === 'chat' || task === 'chat-reset' ? ui.chatStatus : ui.status;
}

function setStatus(text: string, task = state.busy): void {
  const status = statusOf(task);
  status.textContent = text;
  status.classList.remove('failed');
}

function showFailure(task: Task, reason: string): void {
  const status = statusOf(task);
  status.textContent = reason;
  status.classList.add('failed');
}

/** A failure stays shown until the next task of its card starts, not past a later success. */
function clearFailure(task: Task): void {
  const status = statusOf(task);
  if (status.classList.contains('failed')) setStatus('', task);
}

/** While training, what the step in progress is doing and for how long (steps can take seconds). */
function showStepProgress(): void {
  const progress = state.stepInProgress;
  if (progress == null || !training()) return;
  const seconds = Math.floor((performance.now() - progress.since) / 1000);
  const doing = `step ${progress.step}: ${progress.doing}${seconds >= 1 ? ` (${seconds} s)` : ''}`;
  setStatus(state.stopping ? `Stopping after this step… ${doing}` : `Training… ${doing}`);
}
setInterval(showStepProgress, 1000);

function describeProgress(message: FromWorker & { type: 'progress' }): string {
  switch (message.phase) {
    case 'gradients':
      if (message.done < message.total) {
        return message.total > 1
          ? `computing gradients, micro-batch ${message.done + 1} of ${message.total}`
          : 'computing gradients';
      }
      return 'gradients done';
    case 'update':
      return 'updating the weights';
    case 'evaluation':
      return `evaluating, batch ${Math.min(message.done + 1, message.total)} of ${message.total}`;
  }
}

// ---- data and model size --------------------------------------------------------------------------

function selectedPreset(): PresetName {
  const name = ui.modelSize.value;
  if (!isPresetName(name)) throw new Error(`Unknown model size "${name}"`);
  return name;
}

function describeText(): void {
  const characters = ui.trainingText.value.length;
  ui.textInfo.textContent = `${characters.toLocaleString('en-US')} characters`;
}

function describeSize(): void {
  try {
    ui.modelSizeInfo.textContent = describeModelSize(
      preset(selectedPreset(), { contextLength: contextLength() }),
    );
  } catch (error) {
    ui.modelSizeInfo.textContent = error instanceof Error ? error.message : String(error);
  }
}

function contextLength(): number {
  const longest = preset(selectedPreset()).contextLength;
  return readInteger(ui.contextLength, `Context (at most ${longest} for ${selectedPreset()})`, 4, longest);
}

function readSettings(): TrainSettings {
  const text = ui.trainingText.value;
  if (text.trim() === '')
    throw new Error('The training text is empty: paste a text, upload one, or use The Verdict');
  return {
    preset: selectedPreset(),
    contextLength: contextLength(),
    batchSize: readInteger(ui.batchSize, 'Batch size', 1, 512),
    lr: readNumber(ui.lr, 'Learning rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
    steps: readInteger(ui.steps, 'Steps', 1),
    evalEvery: readInteger(ui.evalEvery, 'Evaluate every', 0),
    text,
    seed: 123,
  };
}

for (const name of pickerPresets) ui.modelSize.add(new Option(presetLabel(name), name));
ui.trainingText.value = verdict;
describeText();
describeSize();
ui.modelSize.addEventListener('change', describeSize);
ui.contextLength.addEventListener('input', describeSize);
ui.trainingText.addEventListener('input', describeText);
ui.resetText.addEventListener('click', () => {
  ui.trainingText.value = verdict;
  describeText();
});
ui.uploadText.addEventListener(
  'change',
  guarded(async () => {
    const file = ui.uploadText.files?.[0];
    if (file == null) return;
    ui.trainingText.value = await file.text();
    describeText();
  }),
);

// ---- training -------------------------------------------------------------------------------------

function resetStats(): void {
  chart.reset();
  state.rates = [];
  for (const element of [ui.step, ui.trainLoss, ui.valLoss, ui.tokensPerSec]) element.textContent = '–';
}

ui.train.addEventListener(
  'click',
  guarded(() => {
    const settings = readSettings();
    resetStats();
    setStatus(`Preparing ${settings.preset} and the data…`);
    start({ type: 'train', settings });
  }),
);
ui.resume.addEventListener(
  'click',
  guarded(() => {
    const settings = readSettings();
    setStatus('Resuming…');
    start({ type: 'resume', settings });
  }),
);
ui.stop.addEventListener('click', () => {
  worker.postMessage({ type: 'stop' } satisfies ToWorker);
  ui.stop.disabled = true;
  state.stopping = true;
  setStatus(
    state.busy === 'generate'
      ? 'Stopping the generation…'
      : state.busy === 'hub'
        ? 'Stopping the download…'
        : 'Stopping after this step…',
  );
});

// ---- generation and attention ---------------------------------------------------------------------

ui.generate.addEventListener(
  'click',
  guarded(() => {
    const prompt = ui.prompt.value;
    if (prompt.trim() === '') throw new Error('The prompt is empty: type a few words to continue');
    const request = {
      prompt,
      temperature: readNumber(ui.temperature, 'Temperature', (v) => v >= 0, 'a number ≥ 0'),
      topK: readInteger(ui.topK, 'Top-k', 0),
      maxNewTokens: readInteger(ui.maxNewTokens, 'New tokens', 1, 1024),
    };
    const promptSpan = document.createElement('span');
    promptSpan.className = 'prompt';
    promptSpan.textContent = prompt;
    ui.output.replaceChildren(promptSpan, document.createElement('span'));
    state.attentionAfterGeneration = true;
    setStatus('Generating…');
    start({ type: 'generate', ...request });
  }),
);
ui.showAttention.addEventListener(
  'click',
  guarded(() => requestAttention()),
);
ui.layer.addEventListener('change', drawAttention);
ui.head.addEventListener('change', drawAttention);

function requestAttention(): void {
  if (ui.prompt.value.trim() === '')
    throw new Error('The prompt is empty: type a few words to see their attention');
  start({ type: 'attention', prompt: ui.prompt.value });
}

function drawAttention(): void {
  const result = state.attention;
  if (result == null) {
    ui.attention.replaceChildren();
    ui.attentionInfo.textContent = '';
    return;
  }
  const count = result.tokens.length;
  const layer = Number(ui.layer.value);
  const head = Number(ui.head.value);
  const offset = (layer * result.heads + head) * count * count;
  const heatmap = heatmapMarkup(result.tokens, result.weights.subarray(offset, offset + count * count));
  ui.attention.setAttribute('viewBox', heatmap.viewBox);
  ui.attention.setAttribute('width', String(heatmap.width));
  ui.attention.setAttribute('height', String(heatmap.height));
  ui.attention.innerHTML = heatmap.markup;
  const dropped =
    result.dropped > 0 ? ` (the first ${result.dropped} tokens of the prompt are left out)` : '';
  ui.attentionInfo.textContent = `Layer ${layer + 1}, head ${head + 1}: ${count} tokens${dropped}.`;
}

function fillNumberSelect(select: HTMLSelectElement, count: number): void {
  const previous = Number(select.value);
  select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i + 1), String(i))));
  select.value = String(previous < count ? previous : 0);
}

// ---- instruction tuning and chat -----------------------------------------------------------------

function readInstructSettings(): InstructSettings {
  return {
    format: ui.chatFormat.value === 'phi3' ? 'phi3' : 'alpaca',
    batchSize: readInteger(ui.batchSize, 'Batch size', 1, 512),
    lr: readNumber(ui.instructLr, 'Tuning rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
    steps: readInteger(ui.instructSteps, 'Tuning steps', 1),
    evalEvery: readInteger(ui.evalEvery, 'Evaluate every', 0),
    seed: 123,
  };
}

ui.instructTrain.addEventListener(
  'click',
  guarded(() => {
    const settings = readInstructSettings();
    resetStats();
    setStatus('Preparing the instruction data…', 'instruct');
    start({ type: 'instruct', settings });
  }),
);

function sendChat(): void {
  const message = ui.chatInput.value.trim();
  if (message === '') throw new Error('The message is empty: type an instruction first');
  const request = {
    message,
    format: ui.chatFormat.value === 'phi3' ? ('phi3' as const) : ('alpaca' as const),
    maxNewTokens: readInteger(ui.chatMaxNewTokens, 'Answer tokens', 1, 1024),
    temperature: readNumber(ui.chatTemperature, 'Temperature', (v) => v >= 0, 'a number ≥ 0'),
  };
  ui.chatInput.value = '';
  state.answer = appendTurn(ui.chatLog, message);
  setStatus('Answering…', 'chat');
  start({ type: 'chat', ...request });
}
ui.chatSend.addEventListener('click', guarded(sendChat));
ui.chatInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !ui.chatSend.disabled) guarded(sendChat)();
});
ui.chatStop.addEventListener('click', () => {
  worker.postMessage({ type: 'stop' } satisfies ToWorker);
  ui.chatStop.disabled = true;
  setStatus('Stopping the answer…');
});
ui.chatReset.addEventListener(
  'click',
  guarded(() => {
    ui.chatLog.replaceChildren();
    ui.chatNote.textContent = '';
    start({ type: 'chat-reset' });
  }),
);

// ---- checkpoints ----------------------------------------------------------------------------------

ui.saveModel.addEventListener(
  'click',
  guarded(() => {
    setStatus('Reading the weights for the checkpoint…');
    start({ type: 'save', layout: ui.saveLayout.value as Layout });
  }),
);
ui.loadModel.addEventListener(
  'change',
  guarded(async () => {
    const files = pickCheckpointFiles([...(ui.loadModel.files ?? [])]);
    const config = await files.config.text();
    const weights = await files.weights.arrayBuffer();
    ui.loadModel.value = '';
    setStatus(`Loading ${files.weights.name}…`);
    start({ type: 'load', config, configName: files.config.name, weights, weightsName: files.weights.name }, [
      weights,
    ]);
  }),
);

ui.loadHub.addEventListener(
  'click',
  guarded(() => {
    const request = hubRequest(ui, hubEndpoint(location.search));
    setStatus(`Looking up ${request.id} on the Hub…`);
    start(request);
  }),
);

function describeModel(model: ModelSummary): string {
  const { config } = model;
  const origin =
    model.source.kind === 'preset'
      ? `a new ${model.source.preset}`
      : model.source.kind === 'hub'
        ? hubOrigin(model.source)
        : `${model.source.name} (${model.source.layout === 'hf' ? 'Hugging Face' : "the book's"} layout)`;
  return `Model: ${origin} · ${shape(config)} · ${model.parameters.toLocaleString('en-US')} parameters`;
}

function shape(config: GPTConfig): string {
  return `${config.nLayers} layers, ${config.nHeads} heads, ${config.embDim}-d, context ${config.contextLength}`;
}

// ---- messages from the worker ---------------------------------------------------------------------

worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
  handle(event.data).catch((error: unknown) =>
    showError(error instanceof Error ? error.message : String(error)),
  );
});
worker.addEventListener('error', (event) => {
  showError(`The training worker failed: ${event.message || 'it could not start'}`);
  setStatus('The worker stopped: reload the page.');
});

async function handle(message: FromWorker): Promise<void> {
  switch (message.type) {
    case 'backend':
      ui.backend.textContent = message.adapter ? `${message.backend} · ${message.adapter}` : message.backend;
      ui.backend.dataset.backend = message.backend;
      ui.backendReason.textContent = [
        `${prefer === 'auto' ? 'Chosen automatically' : 'Asked for'}: ${message.reason}.`,
        ...message.skipped.map((line) => `Skipped ${line}.`),
      ].join(' ');
      ui.backendNote.textContent = message.note ?? '';
      ui.backendNote.hidden = message.note == null;
      offerOtherBackend(message.alternative);
      state.ready = true;
      setStatus(`Ready: training runs on ${message.backend} in a worker.`);
      return;
    case 'model':
      state.model = message.model;
      state.attention = undefined;
      ui.modelInfo.textContent = describeModel(message.model);
      fillNumberSelect(ui.layer, message.model.config.nLayers);
      fillNumberSelect(ui.head, message.model.config.nHeads);
      drawAttention();
      if (message.model.source.kind === 'checkpoint') {
        resetStats();
        setStatus(`Loaded ${message.model.source.name}. Generate from it, or Resume to train it further.`);
      }
      if (message.model.source.kind === 'hub') {
        resetStats();
        setStatus(describeHubLoad(ui, message.model.source));
      }
      return;
    case 'data':
      setStatus(
        `Training on ${message.trainTokens.toLocaleString('en-US')} tokens (${message.validationTokens.toLocaleString('en-US')} for validation), ${message.batchesPerEpoch} batches per epoch…`,
      );
      return;
    case 'progress':
      state.stepInProgress = {
        step: message.step,
        doing: describeProgress(message),
        // The clock runs from the start of a phase: a step's gradients, or an evaluation.
        since:
          message.done === 0 || state.stepInProgress == null ? performance.now() : state.stepInProgress.since,
      };
      showStepProgress();
      return;
    case 'step': {
      state.stepInProgress = {
        step: message.step + 1,
        doing: 'computing gradients',
        since: performance.now(),
      };
      state.rates = [...state.rates.slice(-9), message.tokensPerSec];
      const rate = state.rates.reduce((sum, r) => sum + r, 0) / state.rates.length;
      ui.step.textContent = String(message.step);
      ui.trainLoss.textContent = message.loss.toFixed(3);
      ui.tokensPerSec.textContent = Math.round(rate).toLocaleString('en-US');
      chart.addStep(message.step, message.loss);
      if (training()) setStatus(`Training… step ${message.step} done`);
      return;
    }
    case 'eval':
      if (message.valLoss != null) ui.valLoss.textContent = message.valLoss.toFixed(3);
      chart.addEvaluation(message.step, message.valLoss);
      return;
    case 'trained':
      state.stepInProgress = undefined;
      state.stopping = false;
      setStatus(
        message.reason === 'aborted'
          ? `Stopped at step ${message.step}. Resume continues from here.`
          : state.busy === 'instruct'
            ? `Instruction-tuned to step ${message.step}. Chat with the model below; Resume tunes it further.`
            : `Finished at step ${message.step}. Resume trains for more steps.`,
      );
      return;
    case 'chat-token':
      if (state.answer) showAnswer(state.answer, message.text);
      ui.chatNote.textContent = message.note ?? '';
      return;
    case 'chat-answer':
      if (state.answer) showAnswer(state.answer, message.text, message.ended);
      state.answer = undefined;
      setStatus(
        message.ended === 'end-of-text'
          ? 'Answered (the model ended its answer).'
          : message.ended === 'stopped'
            ? 'Stopped the answer.'
            : 'Answered (cut at the answer-token limit).',
      );
      return;
    case 'token':
      ui.output.lastElementChild!.textContent = message.text;
      return;
    case 'generated':
      ui.output.lastElementChild!.textContent = message.text;
      setStatus(`${message.stopped ? 'Stopped after' : 'Generated'} ${message.tokens} tokens.`);
      return;
    case 'attention':
      state.attention = message;
      drawAttention();
      return;
    case 'checkpoint':
      await download(CONFIG_FILE, message.config, 'application/json');
      await download(WEIGHTS_FILE, message.weights, 'application/octet-stream');
      setStatus(
        `Saved config.json and model.safetensors (${message.layout === 'hf' ? 'Hugging Face' : "the book's"} layout).`,
      );
      return;
    case 'download':
      setStatus(showDownload(ui, message));
      return;
    case 'error':
      showError(message.message);
      ui.hubProgress.hidden = true;
      classifyPage.failed(message.task, message.message);
      if (message.task === 'init') showFailure('init', `No backend could start: ${message.message}`);
      else if (message.task === 'hub')
        showFailure('hub', `Could not load the model from the Hub: ${message.message}`);
      else if (!message.task.startsWith('classify-'))
        showFailure(message.task, `The ${message.task} task failed: ${message.message}`);
      if (message.task === 'chat' && state.answer) {
        state.answer.remove();
        state.answer = undefined;
      }
      state.attentionAfterGeneration = false;
      return;
    case 'idle':
      state.busy = undefined;
      state.stopping = false;
      refreshControls();
      if (message.task === 'generate' && state.attentionAfterGeneration) {
        state.attentionAfterGeneration = false;
        requestAttention();
      }
      return;
    default:
      return classifyPage.handle(message);
  }
}

// ---- start ----------------------------------------------------------------------------------------

/** A link to the other backend: the one `auto` passed over, or back to the automatic choice. */
function offerOtherBackend(alternative: BackendRequest | null): void {
  ui.switchBackend.hidden = alternative == null;
  if (alternative == null) return;
  ui.switchBackend.href = `?backend=${alternative}`;
  ui.switchBackend.textContent = alternative === 'webgpu' ? 'use WebGPU anyway' : 'use wasm instead';
}

refreshControls();
start({ type: 'init', prefer, kernels });

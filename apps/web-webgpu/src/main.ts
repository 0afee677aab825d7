/**
 * The page: a panel per card, each reading its controls, sending tasks to the training worker and
 * drawing the worker's messages it cares about. No tensor math happens here, so the page stays
 * responsive while the worker trains.
 */
import { createClassifyPage } from './classify/page.js';
import { createAttentionPanel } from './panels/attention.js';
import { createBackendPanel } from './panels/backend.js';
import { createChatPanel } from './panels/chat.js';
import { createCheckpointsPanel } from './panels/checkpoints.js';
import { createGeneratePanel } from './panels/generate.js';
import { createOpenLoraPanel } from './panels/open-lora.js';
import { createOpenModelPanel } from './panels/open-model.js';
import { createPreferencePanel } from './panels/preference.js';
import { createSetupPanel } from './panels/setup.js';
import { createTasks, type TaskState } from './panels/tasks.js';
import { createTrainPanel } from './panels/train.js';
import type { FromWorker, MessageOf } from './protocol.js';
import { serverFromLocation } from './server-client.js';
import './style.css';

const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
const tasks = createTasks(worker, (state) => {
  for (const panel of panels) panel.refresh(state);
});
const backend = createBackendPanel(tasks);
const setup = createSetupPanel(tasks);
const train = createTrainPanel({ ...tasks, trainSettings: setup.trainSettings });
const generate = createGeneratePanel(tasks);
const attention = createAttentionPanel({ ...tasks, prompt: generate.prompt });
const checkpoints = createCheckpointsPanel(tasks);
const classify = createClassifyPage({ ...tasks, newModel: setup.newModel, precision: setup.precision });
const openModel = createOpenModelPanel(tasks);
const chat = createChatPanel(
  {
    ...tasks,
    batchSize: setup.batchSize,
    evalEvery: setup.evalEvery,
    resetStats: train.resetStats,
    answerWith: openModel.answerWith,
  },
  chatServer(),
);
const openLora = createOpenLoraPanel({ ...tasks, text: setup.text, precision: setup.precision });
const preference = createPreferencePanel({ ...tasks, format: chat.format });
const panels: { refresh(state: Readonly<TaskState>): void }[] = [
  setup,
  train,
  generate,
  attention,
  checkpoints,
  classify,
  chat,
  openModel,
  preference,
  openLora,
];

/** The server the address's `?server=` names for the chat; a bad one is shown, and the tab's model answers. */
function chatServer(): URL | undefined {
  try {
    return serverFromLocation(location.search);
  } catch (error) {
    tasks.showFailure('chat', error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

type Handler<M> = { handle: (message: M) => void | Promise<void> };

/** Who draws each message, in this order (`tasks` first: the panels see the task state updated). */
const routes: { [T in FromWorker['type']]: Handler<MessageOf<T>>[] } = {
  backend: [tasks, backend],
  model: [tasks, checkpoints, attention, train, openModel],
  data: [train, openLora],
  progress: [train],
  step: [train, openLora],
  eval: [train, openLora],
  trained: [train, openLora],
  token: [generate],
  generated: [generate, attention],
  attention: [attention],
  checkpoint: [checkpoints],
  download: [checkpoints, openModel],
  classifier: [classify],
  'classify-data': [classify],
  'classify-step': [classify],
  'classify-eval': [classify],
  'classify-trained': [classify],
  classification: [classify],
  'classifier-files': [classify],
  'chat-token': [chat],
  'chat-answer': [chat],
  'preference-data': [preference],
  'preference-step': [preference],
  'preference-eval': [preference],
  'preference-trained': [preference],
  'open-model-check': [openModel],
  'open-model-loaded': [tasks, openModel],
  'open-lora-model': [openLora],
  error: [tasks, checkpoints, classify, chat, attention, openModel],
  idle: [tasks, train, attention],
};

/** Hands a message to its panels; what one of them throws shows in the page's error line. */
async function dispatch(message: FromWorker): Promise<void> {
  const handlers = routes[message.type] as Handler<FromWorker>[];
  await Promise.all(handlers.map((panel) => panel.handle(message)));
}

worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
  dispatch(event.data).catch((error: unknown) =>
    tasks.showError(error instanceof Error ? error.message : String(error)),
  );
});
worker.addEventListener('error', (event) => tasks.workerFailed(event.message));

backend.init();

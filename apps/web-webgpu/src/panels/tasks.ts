/**
 * The worker's tasks as the page sees them: which one runs, starting and stopping them, the page's
 * error line, and the status lines where a task's progress and failure show. Every panel gets these.
 */
import type { OpenModelSummary } from '../open-model-protocol.js';
import type { MessageOf, ModelSummary, Task, ToWorker } from '../protocol.js';
import { byTestId } from '../ui/elements.js';

export interface TaskState {
  /** The worker's backend started. */
  ready: boolean;
  /** The task the worker is doing. */
  busy: Task | undefined;
  /** The language model in the worker, once there is one. */
  model: ModelSummary | undefined;
  /** The open model (Qwen3, Llama 3.2, Gemma 3) the chat can answer with, once one is loaded. */
  openModel: OpenModelSummary | undefined;
}

/** What the panels share: the tasks, their state, the error line and the status lines. */
export interface PanelDeps {
  readonly state: Readonly<TaskState>;
  /** Sends a task to the worker (the page is busy until it ends). */
  start(message: ToWorker, transfer?: Transferable[]): void;
  /** Asks the worker to stop the task in progress. */
  stop(): void;
  /** Runs an action of the page, showing what it throws. */
  guarded(action: () => void | Promise<void>): () => void;
  showError(message: string | null): void;
  /** Shows progress in the status line of the card that started `task` (default: the task in progress). */
  setStatus(text: string, task?: Task): void;
  /** Shows why `task` failed in its card's status line, marked as a failure. */
  showFailure(task: Task, reason: string): void;
}

/** Nothing runs, and the backend is up. */
export function isIdle(state: Readonly<TaskState>): boolean {
  return state.ready && state.busy == null;
}

/** Idle, with a model to use. */
export function hasIdleModel(state: Readonly<TaskState>): boolean {
  return isIdle(state) && state.model != null;
}

/** Tasks that run training steps: the step counter, the chart and Stop follow them. */
export function isTraining(task: Task | undefined): boolean {
  return task === 'train' || task === 'resume' || task === 'instruct';
}

export function createTasks(worker: Worker, refresh: (state: Readonly<TaskState>) => void) {
  const ui = {
    error: byTestId<HTMLElement>('error'),
    status: byTestId<HTMLElement>('status'),
    chatStatus: byTestId<HTMLElement>('chat-status'),
    preferenceStatus: byTestId<HTMLElement>('preference-status'),
    openLoraStatus: byTestId<HTMLElement>('open-lora-status'),
  };
  const state: TaskState = { ready: false, busy: undefined, model: undefined, openModel: undefined };

  function showError(message: string | null): void {
    ui.error.textContent = message ?? '';
    ui.error.hidden = message == null;
  }

  /**
   * Progress and failures show in the card that started the work: instruction tuning, chat and the
   * open model in theirs, preference tuning and LoRA on an open family in their own, everything else
   * of the language model in the Train card's status line. (The classify card keeps its own.)
   */
  function statusOf(task: Task | undefined): HTMLElement {
    if (task === 'preference') return ui.preferenceStatus;
    if (task === 'open-lora') return ui.openLoraStatus;
    const chatTasks: (Task | undefined)[] = ['instruct', 'chat', 'chat-reset', 'open-model'];
    return chatTasks.includes(task) ? ui.chatStatus : ui.status;
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

  const deps: PanelDeps = {
    state,
    start(message, transfer = []) {
      showError(null);
      clearFailure(message.type);
      state.busy = message.type;
      refresh(state);
      worker.postMessage(message, transfer);
    },
    stop: () => worker.postMessage({ type: 'stop' } satisfies ToWorker),
    guarded(action) {
      return () => {
        Promise.resolve()
          .then(action)
          .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)));
      };
    },
    showError,
    setStatus,
    showFailure,
  };

  return {
    ...deps,
    handle(message: MessageOf<'backend' | 'model' | 'open-model-loaded' | 'error' | 'idle'>): void {
      switch (message.type) {
        case 'backend':
          state.ready = true;
          return;
        case 'model':
          state.model = message.model;
          return;
        case 'open-model-loaded':
          state.openModel = message.model;
          return;
        case 'error':
          showError(message.message);
          if (message.task === 'init') showFailure('init', `No backend could start: ${message.message}`);
          else if (message.task === 'hub')
            showFailure('hub', `Could not load the model from the Hub: ${message.message}`);
          else if (message.task === 'open-model')
            showFailure('open-model', `Could not load the open model: ${message.message}`);
          else if (!message.task.startsWith('classify-'))
            showFailure(message.task, `The ${message.task} task failed: ${message.message}`);
          return;
        case 'idle':
          state.busy = undefined;
          refresh(state);
          return;
      }
    },
    /** The worker itself failed (it could not start, or died): nothing more will come from it. */
    workerFailed(reason: string): void {
      showError(`The training worker failed: ${reason || 'it could not start'}`);
      setStatus('The worker stopped: reload the page.');
    },
  };
}

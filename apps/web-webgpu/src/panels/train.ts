/**
 * The Train card: Train, Stop and Resume, and what every task that runs training steps (training,
 * resuming, instruction tuning) shows as it goes: the step, the losses, tokens/s, the loss chart and a
 * status line that says what a slow step is doing. Its Stop also stops a generation or a download.
 */
import type { MessageOf, Task, TrainSettings } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { LossChart } from '../ui/loss-chart.js';
import { hasIdleModel, isIdle, isTraining, type PanelDeps, type TaskState } from './tasks.js';

export interface TrainPanelDeps extends PanelDeps {
  /** The text and settings of the Data and model card, checked. */
  trainSettings(): TrainSettings;
}

type TrainMessages = MessageOf<'model' | 'data' | 'progress' | 'step' | 'eval' | 'trained' | 'idle'>;

/** What Stop says, by the task it stops; training stops after the step in progress. */
const stoppingText: Partial<Record<Task, string>> = {
  generate: 'Stopping the generation…',
  hub: 'Stopping the download…',
};

export function createTrainPanel(deps: TrainPanelDeps) {
  const ui = {
    train: byTestId<HTMLButtonElement>('train'),
    stop: byTestId<HTMLButtonElement>('stop'),
    resume: byTestId<HTMLButtonElement>('resume'),
    step: byTestId<HTMLElement>('step'),
    trainLoss: byTestId<HTMLElement>('train-loss'),
    valLoss: byTestId<HTMLElement>('val-loss'),
    tokensPerSec: byTestId<HTMLElement>('tokens-per-sec'),
    lossChart: byTestId<HTMLElement>('loss-chart'),
  };
  const chart = new LossChart(ui.lossChart);
  /** Tokens/s of the latest steps, averaged for a steady figure. */
  let rates: number[] = [];
  /** The step in progress and what it is doing, shown with a running clock on slow steps. */
  let stepInProgress: { step: number; doing: string; since: number } | undefined;
  /** Stop was clicked: the step in progress finishes first. */
  let stopping = false;

  function resetStats(): void {
    chart.reset();
    rates = [];
    for (const element of [ui.step, ui.trainLoss, ui.valLoss, ui.tokensPerSec]) element.textContent = '–';
  }

  /** While training, what the step in progress is doing and for how long (steps can take seconds). */
  function showStepProgress(): void {
    const progress = stepInProgress;
    if (progress == null || !isTraining(deps.state.busy)) return;
    const seconds = Math.floor((performance.now() - progress.since) / 1000);
    const doing = `step ${progress.step}: ${progress.doing}${seconds >= 1 ? ` (${seconds} s)` : ''}`;
    deps.setStatus(stopping ? `Stopping after this step… ${doing}` : `Training… ${doing}`);
  }
  setInterval(showStepProgress, 1000);

  ui.train.addEventListener(
    'click',
    deps.guarded(() => {
      const settings = deps.trainSettings();
      resetStats();
      deps.setStatus(`Preparing ${settings.preset} and the data…`);
      deps.start({ type: 'train', settings });
    }),
  );
  ui.resume.addEventListener(
    'click',
    deps.guarded(() => {
      const settings = deps.trainSettings();
      deps.setStatus('Resuming…');
      deps.start({ type: 'resume', settings });
    }),
  );
  ui.stop.addEventListener('click', () => {
    deps.stop();
    ui.stop.disabled = true;
    stopping = true;
    const busy = deps.state.busy;
    deps.setStatus((busy && stoppingText[busy]) ?? 'Stopping after this step…');
  });

  function handle(message: TrainMessages): void {
    // LoRA on an open family draws its training in its own card.
    if (deps.state.busy === 'open-lora' && message.type !== 'idle') return;
    switch (message.type) {
      case 'model':
        // A loaded checkpoint or Hub model starts with empty stats (Train clears them for a new model).
        if (message.model.source.kind === 'checkpoint' || message.model.source.kind === 'hub') resetStats();
        return;
      case 'data':
        deps.setStatus(
          `Training on ${message.trainTokens.toLocaleString('en-US')} tokens (${message.validationTokens.toLocaleString('en-US')} for validation), ${message.batchesPerEpoch} batches per epoch…`,
        );
        return;
      case 'progress':
        stepInProgress = {
          step: message.step,
          doing: describeProgress(message),
          // The clock runs from the start of a phase: a step's gradients, or an evaluation.
          since: message.done === 0 || stepInProgress == null ? performance.now() : stepInProgress.since,
        };
        showStepProgress();
        return;
      case 'step': {
        stepInProgress = { step: message.step + 1, doing: 'computing gradients', since: performance.now() };
        rates = [...rates.slice(-9), message.tokensPerSec];
        const rate = rates.reduce((sum, r) => sum + r, 0) / rates.length;
        ui.step.textContent = String(message.step);
        ui.trainLoss.textContent = message.loss.toFixed(3);
        ui.tokensPerSec.textContent = Math.round(rate).toLocaleString('en-US');
        chart.addStep(message.step, message.loss);
        if (isTraining(deps.state.busy)) deps.setStatus(`Training… step ${message.step} done`);
        return;
      }
      case 'eval':
        if (message.valLoss != null) ui.valLoss.textContent = message.valLoss.toFixed(3);
        chart.addEvaluation(message.step, message.valLoss);
        return;
      case 'trained':
        stepInProgress = undefined;
        stopping = false;
        deps.setStatus(
          message.reason === 'aborted'
            ? `Stopped at step ${message.step}. Resume continues from here.`
            : deps.state.busy === 'instruct'
              ? `Instruction-tuned to step ${message.step}. Chat with the model below; Resume tunes it further.`
              : `Finished at step ${message.step}. Resume trains for more steps.`,
        );
        return;
      case 'idle':
        stopping = false;
        return;
    }
  }

  return {
    handle,
    /** Clears the stats and the chart, for a run that starts anew (instruction tuning too). */
    resetStats,
    refresh(state: Readonly<TaskState>): void {
      ui.train.disabled = !isIdle(state);
      ui.resume.disabled = !hasIdleModel(state);
      ui.stop.disabled = !(isTraining(state.busy) || state.busy === 'generate' || state.busy === 'hub');
    },
  };
}

function describeProgress(message: MessageOf<'progress'>): string {
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

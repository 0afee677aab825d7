/**
 * The Preference tuning (DPO) card: tunes the current model (instruction-tuned above, as the book
 * does) on the preference pairs, showing the reward margins on a chart and the latest loss, margin
 * and preference accuracy as numbers. The chat card answers with the tuned model afterwards.
 */
import type { PreferenceSettings } from '../preference-protocol.js';
import type { MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { readInteger, readNumber } from '../ui/form.js';
import { LossChart } from '../ui/loss-chart.js';
import { hasIdleModel, type PanelDeps, type TaskState } from './tasks.js';

export interface PreferencePanelDeps extends PanelDeps {
  /** The chat card's prompt format: the pairs are tuned in the format the chat then uses. */
  format(): PreferenceSettings['format'];
}

type PreferenceMessages = MessageOf<
  'preference-data' | 'preference-step' | 'preference-eval' | 'preference-trained'
>;

export function createPreferencePanel(deps: PreferencePanelDeps) {
  const ui = {
    beta: byTestId<HTMLInputElement>('preference-beta'),
    lr: byTestId<HTMLInputElement>('preference-lr'),
    steps: byTestId<HTMLInputElement>('preference-steps'),
    batchSize: byTestId<HTMLInputElement>('preference-batch-size'),
    pairs: byTestId<HTMLInputElement>('preference-pairs'),
    evalEvery: byTestId<HTMLInputElement>('preference-eval-every'),
    lora: byTestId<HTMLInputElement>('preference-lora'),
    train: byTestId<HTMLButtonElement>('preference-train'),
    stop: byTestId<HTMLButtonElement>('preference-stop'),
    step: byTestId<HTMLElement>('preference-step'),
    loss: byTestId<HTMLElement>('preference-loss'),
    valLoss: byTestId<HTMLElement>('preference-val-loss'),
    margin: byTestId<HTMLElement>('preference-margin'),
    accuracy: byTestId<HTMLElement>('preference-accuracy'),
    chart: byTestId<HTMLElement>('preference-chart'),
  };
  const chart = new LossChart(ui.chart, {
    value: 'reward margin',
    train: 'train margin',
    validation: 'validation margin',
  });

  /** Stop was clicked: the step in progress finishes first, and the status line says so until then. */
  let stopping = false;

  function readSettings(): PreferenceSettings {
    return {
      format: deps.format(),
      beta: readNumber(ui.beta, 'β', (v) => v > 0, 'a number > 0'),
      lr: readNumber(ui.lr, 'DPO rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
      steps: readInteger(ui.steps, 'DPO steps', 1),
      batchSize: readInteger(ui.batchSize, 'DPO batch size', 1, 64),
      trainPairs: readInteger(ui.pairs, 'Training pairs', 1, 935),
      evalEvery: readInteger(ui.evalEvery, 'DPO evaluation interval', 0),
      lora: ui.lora.checked,
      seed: 123,
    };
  }

  function resetStats(): void {
    chart.reset();
    for (const element of [ui.step, ui.loss, ui.valLoss, ui.margin, ui.accuracy]) element.textContent = '–';
  }

  ui.train.addEventListener(
    'click',
    deps.guarded(() => {
      const settings = readSettings();
      resetStats();
      stopping = false;
      deps.setStatus('Preparing the preference pairs…', 'preference');
      deps.start({ type: 'preference', settings });
    }),
  );
  ui.stop.addEventListener('click', () => {
    deps.stop();
    ui.stop.disabled = true;
    stopping = true;
    deps.setStatus('Stopping after this step…');
  });

  function handle(message: PreferenceMessages): void {
    switch (message.type) {
      case 'preference-data': {
        const reference =
          message.reference === 'copy' ? 'a frozen copy of the model' : 'the model without its LoRA updates';
        const shortened =
          message.shortened > 0 ? `, ${message.shortened} prompts cut to fit the context` : '';
        deps.setStatus(
          `Tuning on ${message.trainPairs} pairs (${message.validationPairs} for validation${shortened}), ${message.batchesPerEpoch} batches per epoch, against ${reference}…`,
        );
        return;
      }
      case 'preference-step':
        ui.step.textContent = String(message.step);
        ui.loss.textContent = message.loss.toFixed(3);
        if (!stopping) deps.setStatus(`Preference tuning… step ${message.step} done`);
        return;
      case 'preference-eval':
        ui.valLoss.textContent = message.validation.loss.toFixed(3);
        ui.margin.textContent = `${message.validation.margin.toFixed(4)} (train ${message.train.margin.toFixed(4)})`;
        ui.accuracy.textContent = `${percent(message.validation.accuracy)} (train ${percent(message.train.accuracy)})`;
        chart.addStep(message.step, message.train.margin);
        chart.addEvaluation(message.step, message.validation.margin);
        return;
      case 'preference-trained':
        stopping = false;
        deps.setStatus(
          message.reason === 'aborted'
            ? `Stopped at step ${message.step}. The chat answers with the model as tuned so far.`
            : `Preference-tuned to step ${message.step}. The chat answers with the tuned model.`,
          'preference',
        );
        return;
    }
  }

  return {
    handle,
    refresh(state: Readonly<TaskState>): void {
      ui.train.disabled = !hasIdleModel(state);
      ui.stop.disabled = state.busy !== 'preference';
    },
  };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

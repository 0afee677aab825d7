/**
 * The LoRA on an open model card: a tiny random Qwen3, Llama 3.2 or Gemma 3 (each family's structure
 * at two layers and 64 dimensions), its weights frozen and LoRA updates on every projection, trained on
 * the Data card's text; the loss is charted as the Train card charts it, and Stop ends the run after
 * the step in progress.
 */
import type { AutocastPrecision } from '@scratchgpt/tensor';
import { OPEN_FAMILIES, type OpenFamilyName, type OpenLoraSettings } from '../open-model-protocol.js';
import type { MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { readInteger, readNumber } from '../ui/form.js';
import { LossChart } from '../ui/loss-chart.js';
import { isIdle, type PanelDeps, type TaskState } from './tasks.js';

export interface OpenLoraPanelDeps extends PanelDeps {
  /** The Data and model card's training text. */
  text(): string;
  /** The Data and model card's precision. */
  precision(): AutocastPrecision;
}

type OpenLoraMessages = MessageOf<'open-lora-model' | 'data' | 'step' | 'eval' | 'trained'>;

export function createOpenLoraPanel(deps: OpenLoraPanelDeps) {
  const ui = {
    family: byTestId<HTMLSelectElement>('open-lora-family'),
    rank: byTestId<HTMLInputElement>('open-lora-rank'),
    lr: byTestId<HTMLInputElement>('open-lora-lr'),
    steps: byTestId<HTMLInputElement>('open-lora-steps'),
    contextLength: byTestId<HTMLInputElement>('open-lora-context'),
    batchSize: byTestId<HTMLInputElement>('open-lora-batch'),
    train: byTestId<HTMLButtonElement>('open-lora-train'),
    stop: byTestId<HTMLButtonElement>('open-lora-stop'),
    info: byTestId<HTMLElement>('open-lora-info'),
    step: byTestId<HTMLElement>('open-lora-step'),
    loss: byTestId<HTMLElement>('open-lora-loss'),
    valLoss: byTestId<HTMLElement>('open-lora-val-loss'),
    chart: byTestId<HTMLElement>('open-lora-chart'),
  };
  const chart = new LossChart(ui.chart);

  function readSettings(): OpenLoraSettings {
    const family = ui.family.value as OpenFamilyName;
    if (!OPEN_FAMILIES.includes(family)) throw new Error(`Unknown family "${ui.family.value}"`);
    const text = deps.text();
    if (text.trim() === '')
      throw new Error('The training text is empty: paste a text, upload one, or use The Verdict');
    return {
      family,
      rank: readInteger(ui.rank, 'LoRA rank', 1, 64),
      lr: readNumber(ui.lr, 'LoRA rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
      steps: readInteger(ui.steps, 'LoRA steps', 1),
      contextLength: readInteger(ui.contextLength, 'LoRA context', 4, 256),
      batchSize: readInteger(ui.batchSize, 'LoRA batch size', 1, 64),
      precision: deps.precision(),
      text,
      seed: 123,
    };
  }

  ui.train.addEventListener(
    'click',
    deps.guarded(() => {
      const settings = readSettings();
      chart.reset();
      for (const element of [ui.step, ui.loss, ui.valLoss]) element.textContent = '–';
      deps.setStatus(
        `Building a tiny ${ui.family.selectedOptions[0]?.textContent ?? settings.family}…`,
        'open-lora',
      );
      deps.start({ type: 'open-lora', settings });
    }),
  );
  ui.stop.addEventListener('click', () => {
    deps.stop();
    ui.stop.disabled = true;
    deps.setStatus('Stopping after this step…');
  });

  function handle(message: OpenLoraMessages): void {
    // The training messages are the Train card's too: this card draws those of its own runs.
    if (deps.state.busy !== 'open-lora') return;
    switch (message.type) {
      case 'open-lora-model':
        ui.info.textContent = `${message.description}: ${message.parameters.toLocaleString('en-US')} parameters frozen (${message.base}), ${message.trainable.toLocaleString('en-US')} in LoRA updates trained.`;
        return;
      case 'data':
        deps.setStatus(`Training the LoRA updates on ${message.trainTokens.toLocaleString('en-US')} tokens…`);
        return;
      case 'step':
        ui.step.textContent = String(message.step);
        ui.loss.textContent = message.loss.toFixed(3);
        chart.addStep(message.step, message.loss);
        deps.setStatus(`Training the LoRA updates… step ${message.step} done`);
        return;
      case 'eval':
        if (message.valLoss != null) ui.valLoss.textContent = message.valLoss.toFixed(3);
        chart.addEvaluation(message.step, message.valLoss);
        return;
      case 'trained':
        deps.setStatus(
          message.reason === 'aborted'
            ? `Stopped at step ${message.step}.`
            : `Trained the LoRA updates for ${message.step} steps.`,
        );
        return;
    }
  }

  return {
    handle,
    refresh(state: Readonly<TaskState>): void {
      ui.train.disabled = !isIdle(state);
      ui.stop.disabled = state.busy !== 'open-lora';
    },
  };
}

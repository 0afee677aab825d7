/**
 * The Data and model card: the training text (The Verdict, pasted or uploaded), the model size and
 * context, and the settings that training, instruction tuning and a new classifier's model read.
 */
import { isPresetName, type PresetName, preset } from '@scratchgpt/gpt-model';
import verdict from '../assets/the-verdict.txt?raw';
import type { TrainSettings } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { readInteger, readNumber } from '../ui/form.js';
import { describeModelSize, pickerPresets, presetLabel } from '../ui/model-size.js';
import { isIdle, type PanelDeps, type TaskState } from './tasks.js';

export function createSetupPanel(deps: PanelDeps) {
  const ui = {
    trainingText: byTestId<HTMLTextAreaElement>('training-text'),
    uploadText: byTestId<HTMLInputElement>('upload-text'),
    resetText: byTestId<HTMLButtonElement>('reset-text'),
    textInfo: byTestId<HTMLElement>('text-info'),
    modelSize: byTestId<HTMLSelectElement>('model-size'),
    contextLength: byTestId<HTMLInputElement>('context-length'),
    batchSize: byTestId<HTMLInputElement>('batch-size'),
    lr: byTestId<HTMLInputElement>('lr'),
    steps: byTestId<HTMLInputElement>('steps'),
    evalEvery: byTestId<HTMLInputElement>('eval-every'),
    recompute: byTestId<HTMLInputElement>('recompute'),
    precision: byTestId<HTMLSelectElement>('precision'),
    modelSizeInfo: byTestId<HTMLElement>('model-size-info'),
  };
  const controls = [
    ui.trainingText,
    ui.uploadText,
    ui.resetText,
    ui.modelSize,
    ui.contextLength,
    ui.batchSize,
    ui.lr,
    ui.steps,
    ui.evalEvery,
    ui.recompute,
    ui.precision,
  ];

  function precisionOf(value: string): TrainSettings['precision'] {
    const known = (['f32', 'f16', 'bf16'] as const).find((precision) => precision === value);
    if (known === undefined) throw new Error(`Precision must be f32, f16 or bf16, got ${value}`);
    return known;
  }

  function selectedPreset(): PresetName {
    const name = ui.modelSize.value;
    if (!isPresetName(name)) throw new Error(`Unknown model size "${name}"`);
    return name;
  }

  function contextLength(): number {
    const longest = preset(selectedPreset()).contextLength;
    return readInteger(ui.contextLength, `Context (at most ${longest} for ${selectedPreset()})`, 4, longest);
  }

  const batchSize = () => readInteger(ui.batchSize, 'Batch size', 1, 512);
  const evalEvery = () => readInteger(ui.evalEvery, 'Evaluate every', 0);

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
    deps.guarded(async () => {
      const file = ui.uploadText.files?.[0];
      if (file == null) return;
      ui.trainingText.value = await file.text();
      describeText();
    }),
  );

  return {
    /** What Train and Resume run: the text, the size and the settings, checked. */
    trainSettings(): TrainSettings {
      const text = ui.trainingText.value;
      if (text.trim() === '')
        throw new Error('The training text is empty: paste a text, upload one, or use The Verdict');
      return {
        preset: selectedPreset(),
        contextLength: contextLength(),
        batchSize: batchSize(),
        lr: readNumber(ui.lr, 'Learning rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
        steps: readInteger(ui.steps, 'Steps', 1),
        evalEvery: evalEvery(),
        precision: precisionOf(ui.precision.value),
        text,
        seed: 123,
        recompute: ui.recompute.checked,
      };
    },
    /** The size and context chosen, for a new model. */
    newModel: () => ({ preset: selectedPreset(), contextLength: contextLength() }),
    /** The precision chosen, for the fine-tuning cards. */
    precision: () => precisionOf(ui.precision.value),
    /** The training text as it stands (LoRA on an open family trains on it too). */
    text: () => ui.trainingText.value,
    /** The batch size and evaluation interval, which instruction tuning shares. */
    batchSize,
    evalEvery,
    refresh(state: Readonly<TaskState>): void {
      for (const control of controls) control.disabled = !isIdle(state);
    },
  };
}

/**
 * The classify mode of the page: reads its controls, asks the worker to fine-tune, classify, load or
 * save a classifier, and draws what comes back (loss and accuracy live, the class probabilities).
 */
import {
  ADAPTER_FILE,
  CLASSIFIER_SETTINGS_FILE,
  formatOfFileName,
  HEAD_FILE,
  type LabelledFormat,
  type Pooling,
  type TrainablePart,
} from '@scratchgpt/classifier';
import { CONFIG_FILE, type PresetName, WEIGHTS_FILE } from '@scratchgpt/gpt-model';
import type { AutocastPrecision } from '@scratchgpt/tensor';
import smsUrl from '../../../../data/sms-spam-collection.tsv?url';
import type {
  ClassifierFileSet,
  ClassifierSummary,
  ClassifyFromWorker,
  ClassifySettings,
} from '../classify-protocol.js';
import type { MessageOf, Task, ToWorker } from '../protocol.js';
import { download } from '../ui/checkpoint-files.js';
import { readInteger, readNumber } from '../ui/form.js';
import { ClassifyChart } from './chart.js';
import { classifyElements } from './elements.js';
import { pickClassifierFiles } from './files.js';
import './classify.css';

export interface ClassifyPageDeps {
  /** Sends a task to the worker (the page is busy until it ends). */
  start(message: ToWorker, transfer?: Transferable[]): void;
  /** Asks the worker to stop the task in progress. */
  stop(): void;
  /** The size and context chosen above, for a new model. */
  newModel(): { preset: PresetName; contextLength: number };
  /** The precision chosen above (with LoRA, the frozen base is stored in it too). */
  precision(): AutocastPrecision;
  /** Runs an action of the page, showing what it throws. */
  guarded(action: () => void | Promise<void>): () => void;
}

const smsName = 'sms-spam-collection.tsv';

export function createClassifyPage(deps: ClassifyPageDeps) {
  const ui = classifyElements();
  const chart = new ClassifyChart(ui.chart);
  /** An uploaded file; `undefined`: the SMS Spam Collection. */
  let uploaded: { content: string; name: string } | undefined;
  let classifier: ClassifierSummary | undefined;
  /** A load was asked for: its classifier, when it comes, is announced. */
  let loading = false;
  const setStatus = (text: string) => {
    ui.status.textContent = text;
    ui.status.classList.remove('failed');
  };
  /** Starts a task of this card: a failure shown from an earlier one no longer applies. */
  const start = (message: ToWorker, transfer?: Transferable[]) => {
    if (ui.status.classList.contains('failed')) setStatus('');
    deps.start(message, transfer);
  };

  async function labelledData(): Promise<{ content: string; name: string }> {
    if (uploaded) return uploaded;
    const response = await fetch(smsUrl);
    if (!response.ok)
      throw new Error(`The bundled SMS Spam Collection could not be read (${response.status})`);
    return { content: await response.text(), name: smsName };
  }

  async function readSettings(): Promise<ClassifySettings> {
    const { content, name } = await labelledData();
    const chosen = ui.format.value;
    const format: LabelledFormat =
      chosen === 'auto' ? (formatOfFileName(name) ?? 'tsv') : (chosen as LabelledFormat);
    const trainable = ui.trainable.value === 'lora' ? { loraRank: 8 } : (ui.trainable.value as TrainablePart);
    const maxLength =
      ui.maxLength.value.trim() === '' ? undefined : readInteger(ui.maxLength, 'Max length', 1);
    return {
      content,
      fileName: name,
      format,
      ...column('textColumn', ui.textColumn.value),
      ...column('labelColumn', ui.labelColumn.value),
      base: ui.base.value === 'current' ? { kind: 'current' } : { kind: 'new', ...deps.newModel() },
      pooling: ui.pooling.value as Pooling,
      trainable,
      ...(maxLength !== undefined ? { maxLength } : {}),
      batchSize: readInteger(ui.batchSize, 'Batch size', 1, 512),
      lr: readNumber(ui.lr, 'Learning rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
      steps: readInteger(ui.steps, 'Steps', 1),
      evalEvery: readInteger(ui.evalEvery, 'Evaluate every', 0),
      precision: deps.precision(),
      seed: 123,
    };
  }

  function resetStats(): void {
    chart.reset();
    for (const element of [ui.step, ui.loss, ui.accuracy, ui.testAccuracy]) element.textContent = '–';
  }

  ui.upload.addEventListener(
    'change',
    deps.guarded(async () => {
      const file = ui.upload.files?.[0];
      if (file == null) return;
      uploaded = { content: await file.text(), name: file.name };
      ui.upload.value = '';
      ui.dataInfo.textContent = `${file.name}: ${uploaded.content.length.toLocaleString('en-US')} characters`;
    }),
  );
  ui.useSms.addEventListener('click', () => {
    uploaded = undefined;
    ui.dataInfo.textContent = 'The SMS Spam Collection (5,572 labelled messages).';
  });
  ui.train.addEventListener(
    'click',
    deps.guarded(async () => {
      const settings = await readSettings();
      resetStats();
      setStatus(`Reading ${settings.fileName}…`);
      start({ type: 'classify-train', settings });
    }),
  );
  ui.stop.addEventListener('click', () => {
    deps.stop();
    ui.stop.disabled = true;
    setStatus('Stopping after this step…');
  });
  ui.run.addEventListener(
    'click',
    deps.guarded(() => {
      if (ui.text.value.trim() === '') throw new Error('The text to classify is empty: type one');
      start({ type: 'classify-text', text: ui.text.value });
    }),
  );
  ui.save.addEventListener(
    'click',
    deps.guarded(() => {
      setStatus('Reading the weights for the classifier files…');
      start({ type: 'classify-save' });
    }),
  );
  ui.load.addEventListener(
    'change',
    deps.guarded(async () => {
      const { files, names, transfer } = await pickClassifierFiles([...(ui.load.files ?? [])]);
      ui.load.value = '';
      setStatus(`Loading the classifier in ${names.weights}…`);
      loading = true;
      start({ type: 'classify-load', files, names }, transfer);
    }),
  );

  async function handle(message: ClassifyFromWorker | MessageOf<'error'>): Promise<void> {
    switch (message.type) {
      case 'classifier':
        classifier = message.classifier;
        ui.info.textContent = describe(message.classifier);
        if (loading)
          setStatus(
            `Loaded a classifier of ${message.classifier.classes.join(', ')}: classify a text with it.`,
          );
        loading = false;
        return;
      case 'classify-data':
        setStatus(
          `Fine-tuning on ${message.train.toLocaleString('en-US')} texts (${message.validation} validation, ${message.test} test, ` +
            `${message.kept.toLocaleString('en-US')} of ${message.rows.toLocaleString('en-US')} kept by balancing), ` +
            `${message.maxLength} tokens each, ${message.batchesPerEpoch} batches per epoch…`,
        );
        return;
      case 'classify-step':
        ui.step.textContent = String(message.step);
        ui.loss.textContent = message.loss.toFixed(3);
        chart.addStep(message.step, message.loss);
        return;
      case 'classify-eval':
        if (message.valAccuracy != null) ui.accuracy.textContent = percent(message.valAccuracy);
        chart.addEvaluation(message);
        return;
      case 'classify-trained':
        if (message.testAccuracy != null) ui.testAccuracy.textContent = percent(message.testAccuracy);
        setStatus(
          `${message.reason === 'aborted' ? 'Stopped' : 'Finished'} at step ${message.step}` +
            `${message.testAccuracy == null ? '' : `: test accuracy ${percent(message.testAccuracy)}`}.`,
        );
        return;
      case 'classification':
        ui.result.textContent = `${message.label}${message.truncated ? ' (the text was cut to the trained length)' : ''}`;
        ui.probabilities.replaceChildren(
          ...message.classes.map((name, i) => {
            const item = document.createElement('li');
            item.dataset.class = name;
            item.dataset.probability = String(message.probabilities[i]);
            item.textContent = `${name}: ${percent(message.probabilities[i] as number)}`;
            return item;
          }),
        );
        return;
      case 'classifier-files':
        await saveFiles(message.files);
        setStatus(
          `Saved the classifier's files${message.files.adapters ? ', the LoRA adapters included' : ''}.`,
        );
        return;
      case 'error':
        // A failed classify task: its reason, in this card's status line.
        if (message.task === 'classify-load') loading = false;
        if (!message.task.startsWith('classify-')) return;
        setStatus(message.message);
        ui.status.classList.add('failed');
        return;
    }
  }

  return {
    handle,
    /** Enables what the current state allows. */
    refresh(state: { ready: boolean; busy: Task | undefined }): void {
      const idle = state.ready && state.busy == null;
      for (const control of [ui.train, ui.upload, ui.useSms, ui.load]) control.disabled = !idle;
      ui.run.disabled = !idle || classifier == null;
      ui.save.disabled = !idle || classifier == null;
      ui.stop.disabled = state.busy !== 'classify-train';
    },
  };
}

async function saveFiles(files: ClassifierFileSet): Promise<void> {
  await download(CONFIG_FILE, files.config, 'application/json');
  await download(WEIGHTS_FILE, files.weights, 'application/octet-stream');
  await download(CLASSIFIER_SETTINGS_FILE, files.settings, 'application/json');
  await download(HEAD_FILE, files.head, 'application/octet-stream');
  if (files.adapters) await download(ADAPTER_FILE, files.adapters, 'application/octet-stream');
}

function column(key: 'textColumn' | 'labelColumn', value: string): Partial<ClassifySettings> {
  const text = value.trim();
  if (text === '') return {};
  return { [key]: /^\d+$/.test(text) ? Number(text) : text };
}

function describe(summary: ClassifierSummary): string {
  return (
    `Classifier: ${summary.source} · classes ${summary.classes.join(', ')} · ${summary.maxLength} tokens · ` +
    `pooling ${summary.pooling} · trains ${summary.trainable} (${summary.trainableParameters.toLocaleString('en-US')} of ` +
    `${summary.parameters.toLocaleString('en-US')} parameters)`
  );
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

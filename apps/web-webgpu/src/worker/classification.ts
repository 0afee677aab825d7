/**
 * The classify mode in the worker: fine-tunes a classifier on labelled texts with the trainer's loop
 * (a copy of the page's GPT, or a new one), reports loss and accuracy as it goes, classifies texts, and
 * loads and saves classifiers as the files the CLI reads and writes.
 */
import {
  CLASSIFIER_SETTINGS_FILE,
  type ClassifierSettings,
  classificationObjective,
  classifierSettings,
  classify,
  createClassifier,
  evaluateClassifier,
  GPTClassifier,
  loadClassifier,
  prepareClassificationData,
  serializeClassifier,
} from '@scratchgpt/classifier';
import { CONFIG_FILE, countParameters, GPTModel, preset, WEIGHTS_FILE } from '@scratchgpt/gpt-model';
import { applyLoRA } from '@scratchgpt/lora';
import { buildInPrecision, manualSeed, type StoragePrecision } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { trainModel } from '@scratchgpt/trainer';
import type {
  ClassifierFileSet,
  ClassifierSummary,
  ClassifySettings,
  ClassifyToWorker,
} from '../classify-protocol.js';
import type { FromWorker } from '../protocol.js';
import { copyOfModel, ownBuffer } from './checkpoint.js';
import { type BaseStorage, buildFrozenBase, describeBase } from './half-base.js';

/** Batches of each split an evaluation reads while training: a steady curve that stays quick. */
const evalBatches = 4;

interface Current {
  classifier: GPTClassifier;
  settings: ClassifierSettings;
}
let current: Current | undefined;

export async function performClassify(
  message: ClassifyToWorker,
  model: GPTModel | undefined,
  signal: AbortSignal,
  post: (message: FromWorker, transfer?: Transferable[]) => void,
): Promise<void> {
  switch (message.type) {
    case 'classify-train':
      return train(message.settings, model, signal, post);
    case 'classify-text': {
      const { classifier, settings } = currentClassifier();
      const result = await classify(classifier, getGPT2Tokenizer(), message.text, settings);
      post({ type: 'classification', classes: settings.classes, ...result });
      return;
    }
    case 'classify-load': {
      const { files, names } = message;
      const loaded = loadClassifier({
        config: parseJson(files.config, names.config ?? CONFIG_FILE),
        weights: new Uint8Array(files.weights),
        head: new Uint8Array(files.head),
        settings: parseJson(files.settings, names.settings ?? CLASSIFIER_SETTINGS_FILE),
        ...(files.adapters ? { adapters: new Uint8Array(files.adapters) } : {}),
        sources: names,
      });
      replace(
        loaded.classifier,
        loaded.settings,
        `${names.weights ?? WEIGHTS_FILE} and its classifier files`,
        post,
      );
      return;
    }
    case 'classify-save': {
      const { classifier, settings } = currentClassifier();
      const files = await serializeClassifier(classifier, settings);
      const set: ClassifierFileSet = {
        config: json(files.config),
        weights: ownBuffer(files.weights),
        head: ownBuffer(files.head),
        settings: json(files.settings),
        ...(files.adapters ? { adapters: ownBuffer(files.adapters) } : {}),
      };
      post({ type: 'classifier-files', files: set }, [
        set.weights,
        set.head,
        ...(set.adapters ? [set.adapters] : []),
      ]);
      return;
    }
  }
}

async function train(
  request: ClassifySettings,
  model: GPTModel | undefined,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  if (request.base.kind === 'current' && model == null) {
    throw new Error('There is no model to fine-tune yet: train or load one, or choose a new model of a size');
  }
  const contextLength =
    request.base.kind === 'current' ? model!.config.contextLength : request.base.contextLength;
  // The data first: what is wrong with the file is said before any weight is allocated.
  const data = prepareClassificationData(request.content, {
    format: request.format,
    tokenizer: getGPT2Tokenizer(),
    source: request.fileName,
    ...(request.textColumn !== undefined ? { textColumn: request.textColumn } : {}),
    ...(request.labelColumn !== undefined ? { labelColumn: request.labelColumn } : {}),
    ...(request.maxLength !== undefined ? { maxLength: request.maxLength } : {}),
    contextLength,
    batchSize: request.batchSize,
    seed: request.seed,
  });
  post({
    type: 'classify-data',
    rows: data.rowsRead,
    kept: data.kept,
    train: data.train.rows.length,
    validation: data.validation.rows.length,
    test: data.test.rows.length,
    maxLength: data.maxLength,
    batchesPerEpoch: data.train.loader.length,
  });
  const lora =
    typeof request.trainable === 'object'
      ? { rank: request.trainable.loraRank, alpha: request.trainable.loraRank, scaling: 'rank' as const }
      : null;
  const baseModel = (precision: StoragePrecision): Promise<GPTModel> => {
    manualSeed(request.seed);
    if (request.base.kind === 'current') return copyOfModel(model!, precision);
    const config = preset(request.base.preset, { contextLength });
    return Promise.resolve(buildInPrecision(precision, () => new GPTModel(config)));
  };
  let base: BaseStorage | undefined;
  let classifier: GPTClassifier;
  /** Every value of the model: a 16-bit weight is no longer a parameter, but the model still has it. */
  let parameters: number | undefined;
  if (lora) {
    // The base is frozen under LoRA: built or loaded straight in the run's 16-bit precision, so it is
    // never whole in float32 (the class head, a new layer, stays float32 under its own update).
    const built = await buildFrozenBase(request.precision, baseModel);
    base = built.storage;
    classifier = new GPTClassifier(built.base, { numClasses: data.classes.length, pooling: request.pooling });
    const count = countParameters(built.base.config);
    parameters = count.total - count.outputHead + classifier.outHead.numParameters();
    applyLoRA(classifier, lora);
    parameters += classifier.numParameters({ trainable: true });
  } else {
    const gpt = await baseModel('f32');
    classifier = createClassifier(gpt, {
      numClasses: data.classes.length,
      pooling: request.pooling,
      trainable: request.trainable as Exclude<ClassifySettings['trainable'], object>,
    });
  }
  const settings = classifierSettings({
    classes: data.classes,
    maxLength: data.maxLength,
    tokenizer: getGPT2Tokenizer(),
    pooling: request.pooling,
    ...(lora ? { lora } : { trainable: request.trainable as Exclude<ClassifySettings['trainable'], object> }),
  });
  const source = request.base.kind === 'current' ? 'the page’s GPT' : `a new ${request.base.preset}`;
  const how = [base && describeBase(base), request.precision !== 'f32' && `${request.precision} products`]
    .filter(Boolean)
    .join(', ');
  replace(
    classifier,
    settings,
    `${source}, fine-tuned on ${request.fileName}${how ? ` (${how})` : ''}`,
    post,
    parameters,
  );

  const validation = data.validation.loader.length > 0 ? data.validation.loader : undefined;
  const accuracy = async (loader: typeof validation) =>
    loader ? (await evaluateClassifier(classifier, loader, { numBatches: evalBatches })).accuracy : null;
  for await (const event of trainModel({
    model: classifier,
    train: data.train.loader,
    ...(validation ? { validation } : {}),
    objective: classificationObjective(),
    lr: request.lr,
    precision: request.precision,
    maxSteps: request.steps,
    evalEvery: request.evalEvery,
    evalBatches,
    signal,
  })) {
    if (event.event === 'step') post({ type: 'classify-step', step: event.step, loss: event.loss });
    if (event.event === 'eval') {
      const { step, trainLoss, valLoss } = event;
      const trainAccuracy = (await accuracy(data.train.loader)) as number;
      post({
        type: 'classify-eval',
        step,
        trainLoss,
        valLoss,
        trainAccuracy,
        valAccuracy: await accuracy(validation),
      });
    }
    if (event.event === 'done') {
      const test =
        data.test.loader.length > 0 && !signal.aborted
          ? await evaluateClassifier(classifier, data.test.loader)
          : undefined;
      post({
        type: 'classify-trained',
        step: event.step,
        reason: event.reason,
        testAccuracy: test?.accuracy ?? null,
      });
    }
  }
}

function replace(
  classifier: GPTClassifier,
  settings: ClassifierSettings,
  source: string,
  post: (message: FromWorker) => void,
  parameters = classifier.numParameters(),
): void {
  current?.classifier.dispose();
  current = { classifier, settings };
  const summary: ClassifierSummary = {
    classes: settings.classes,
    maxLength: settings.maxLength,
    pooling: settings.pooling,
    trainable: settings.lora ? `LoRA rank ${settings.lora.rank}` : settings.trainable,
    parameters,
    trainableParameters: classifier.numParameters({ trainable: true }),
    source,
  };
  post({ type: 'classifier', classifier: summary });
}

function currentClassifier(): Current {
  if (current == null) throw new Error('There is no classifier yet: fine-tune one or load one first');
  return current;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A classifier as checkpoint files, and back. The model's body stays an ordinary checkpoint that every
 * loader of its kind reads (a tied head, the vocabulary head having been replaced); what makes it a
 * classifier sits beside it:
 *
 *   config.json, model.safetensors   the GPT (Hugging Face layout by default, or the book's), or an
 *                                    open family's model: its own config.json (which names the family)
 *                                    and weights under Hugging Face's names
 *   classifier.safetensors           the class head: out_head.weight [classes, embDim], out_head.bias
 *   classifier.json                  classes, padded length, padding id, pooling, what trained
 *   adapter.safetensors              LoRA updates, when LoRA trained (the base weights stay as they were)
 */
import {
  bookToHf,
  CONFIG_FILE,
  configToJson,
  type HostState,
  type Layout,
  type LoadedModel,
  loadModel,
  WEIGHTS_FILE,
} from '@scratchgpt/gpt-model';
import { ADAPTER_FILE, LORA_CHILD, loadAdapters, serializeAdapters } from '@scratchgpt/lora';
import { openModelFromWeights } from '@scratchgpt/open-models';
import { checkWeights, parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import type { BackboneModel } from '../model/backbone.js';
import { GPTClassifier } from '../model/gpt-classifier.js';
import { isOpenModelConfig, openClassifierConfig } from './open-config.js';
import {
  CLASSIFIER_SETTINGS_FILE,
  ClassifierFileError,
  type ClassifierSettings,
  parseClassifierSettings,
  settingsToJson,
} from './settings.js';

/** The class head's file. */
export const HEAD_FILE = 'classifier.safetensors';
// The settings file is named with its format, the adapters' file by @scratchgpt/lora.
export { ADAPTER_FILE, CLASSIFIER_SETTINGS_FILE };

export interface ClassifierFiles {
  /** config.json content. */
  config: Record<string, unknown>;
  /** model.safetensors bytes: the GPT without its vocabulary head. */
  weights: Uint8Array;
  /** classifier.safetensors bytes. */
  head: Uint8Array;
  /** classifier.json content. */
  settings: Record<string, unknown>;
  /** adapter.safetensors bytes, with LoRA. */
  adapters?: Uint8Array;
  layout: Layout;
}

export interface SerializeClassifierOptions {
  /** A GPT's layout: `'hf'` (default) or the book's. An open family's model is always Hugging Face's. */
  layout?: Layout;
  metadata?: Record<string, string>;
  /** An open family's config.json, the one its model was built from (required for those). */
  configJson?: unknown;
}

export async function serializeClassifier(
  classifier: GPTClassifier,
  settings: ClassifierSettings,
  options: SerializeClassifierOptions = {},
): Promise<ClassifierFiles> {
  const { backbone } = classifier;
  const layout = backbone.kind === 'open' ? 'hf' : (options.layout ?? 'hf');
  const state = await classifier.hostStateDict();
  const body: HostState = new Map();
  const head: HostState = new Map();
  for (const [name, tensor] of state) {
    if (name.includes(`.${LORA_CHILD}.`)) continue;
    (name.startsWith('out_head.') ? head : body).set(name, tensor);
  }
  const metadata = { ...options.metadata, format: 'pt', producer: 'scratchgpt' };
  let config: Record<string, unknown>;
  let weights: Uint8Array;
  if (backbone.kind === 'open') {
    config = openClassifierConfig(backbone.model.config, options.configJson);
    weights = serializeSafetensors(body, metadata);
  } else {
    const gptConfig = { ...backbone.model.config, tieWeights: true };
    config = configToJson(gptConfig, layout);
    weights = serializeSafetensors(layout === 'hf' ? bookToHf(body, gptConfig, { withHead: false }) : body, {
      ...metadata,
      layout,
    });
  }
  const files: ClassifierFiles = {
    config,
    weights,
    head: serializeSafetensors(head, metadata),
    settings: settingsToJson(settings),
    layout,
  };
  if (settings.lora) files.adapters = await serializeAdapters(classifier);
  return files;
}

export interface ClassifierFilesToLoad {
  config: unknown;
  weights: Uint8Array;
  head: Uint8Array;
  settings: unknown;
  adapters?: Uint8Array;
  /** Names for error messages, by file. */
  sources?: Partial<Record<'config' | 'weights' | 'head' | 'settings' | 'adapters', string>>;
}

/** An open family's model as loaded: its config.json and the weights' metadata. */
export interface LoadedOpenBase {
  family: string;
  configJson: Record<string, unknown>;
  metadata: Record<string, string>;
}

export interface LoadedClassifier {
  classifier: GPTClassifier;
  settings: ClassifierSettings;
  /** The model as loaded: a GPT's config, layout and metadata, or an open family's config.json and metadata. */
  base: Omit<LoadedModel, 'model'> | LoadedOpenBase;
}

/** Builds a classifier from its files; each problem is an error naming the file. */
export function loadClassifier(files: ClassifierFilesToLoad): LoadedClassifier {
  const sources = {
    config: CONFIG_FILE,
    weights: WEIGHTS_FILE,
    head: HEAD_FILE,
    settings: CLASSIFIER_SETTINGS_FILE,
    adapters: ADAPTER_FILE,
    ...files.sources,
  };
  const settings = parseClassifierSettings(files.settings, sources.settings);
  if (settings.lora && files.adapters == null) {
    throw new ClassifierFileError(
      `${sources.settings} says LoRA trained this classifier, but there is no ${sources.adapters}`,
    );
  }
  const { model, base } = loadBackbone(files, sources);
  const { vocabSize } = model.config;
  if (settings.padTokenId >= vocabSize) {
    model.dispose();
    throw new ClassifierFileError(
      `${sources.settings}: "pad_token_id" ${settings.padTokenId} is outside the model's vocabulary of ${vocabSize} tokens (ids 0 to ${vocabSize - 1})`,
    );
  }
  const classifier = new GPTClassifier(model, {
    numClasses: settings.classes.length,
    pooling: settings.pooling,
  });
  try {
    const head = parseSafetensors(files.head, sources.head).tensors;
    checkWeights(head, sources.head, (message) => new ClassifierFileError(message));
    const unknown = [...head.keys()].filter((name) => name !== 'out_head.weight' && name !== 'out_head.bias');
    if (unknown.length > 0)
      throw new ClassifierFileError(
        `${sources.head} has tensor '${unknown[0]}', which the class head does not have`,
      );
    classifier.outHead.loadStateDict(
      new Map(
        ['weight', 'bias'].map((part) => {
          const tensor = head.get(`out_head.${part}`);
          if (tensor == null) throw new ClassifierFileError(`${sources.head} is missing 'out_head.${part}'`);
          return [part, { shape: tensor.shape, data: tensor.data as Float32Array }];
        }),
      ),
    );
    if (settings.lora) loadAdapters(classifier, files.adapters as Uint8Array, sources.adapters);
    else classifier.trainOnly(settings.trainable as Exclude<ClassifierSettings['trainable'], 'lora'>);
  } catch (error) {
    classifier.dispose();
    if (error instanceof Error && error.name === 'StateDictError') {
      throw new ClassifierFileError(
        `${sources.head}: ${error.message.replace(/^Tensor '/, "Tensor 'out_head.")} (${settings.classes.length} classes in ${sources.settings})`,
      );
    }
    throw error;
  }
  return { classifier, settings, base };
}

/** The model under the head: a GPT, or the open family its config.json names. */
function loadBackbone(
  files: ClassifierFilesToLoad,
  sources: Record<'config' | 'weights', string>,
): { model: BackboneModel; base: LoadedClassifier['base'] } {
  if (!isOpenModelConfig(files.config)) {
    const { model, ...base } = loadModel(files.config, files.weights, {
      configSource: sources.config,
      weightsSource: sources.weights,
    });
    return { model, base };
  }
  const { tensors, metadata } = parseSafetensors(files.weights, sources.weights);
  checkWeights(tensors, sources.weights, (message) => new ClassifierFileError(message));
  try {
    const model = openModelFromWeights(files.config, tensors, sources.weights);
    const configJson = files.config as Record<string, unknown>;
    return { model, base: { family: model.config.family, configJson, metadata } };
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new ClassifierFileError(error.message.replace(/^config\.json/, sources.config));
    }
    throw error;
  }
}

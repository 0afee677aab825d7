/**
 * `classifier.json`: what turns a GPT checkpoint into a classifier: the classes, the padded length,
 * the padding id, the pooling, what was trained, and the LoRA settings where adapters were trained.
 * Read strictly: a damaged or hand-edited file is an error naming the field.
 */
import type { LoRASettings } from '@scratchgpt/lora';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { padTokenIdOf } from '../data/dataset.js';
import { type Pooling, poolings, type TrainablePart, trainableParts } from '../model/gpt-classifier.js';

export const CLASSIFIER_FORMAT = 'scratchgpt-classifier';
/** The settings file's name in a classifier directory. */
export const CLASSIFIER_SETTINGS_FILE = 'classifier.json';

export interface ClassifierSettings {
  /** Class names by index. */
  classes: string[];
  /** Tokens every text is padded (or truncated) to. */
  maxLength: number;
  padTokenId: number;
  pooling: Pooling;
  /** What fine-tuning trained: a part of the model, or LoRA updates. */
  trainable: TrainablePart | 'lora';
  lora: LoRASettings | null;
}

export class ClassifierFileError extends Error {
  override name = 'ClassifierFileError';
}

export interface ClassifierSettingsOptions {
  /** Class names by index (the data's `classes`). */
  classes: readonly string[];
  /** Tokens every text is padded or truncated to (the data's `maxLength`). */
  maxLength: number;
  /** The tokenizer the texts were encoded with: its `<|endoftext|>` pads, as in training (`padTokenIdOf`). */
  tokenizer: Tokenizer;
  /** Only where the data was padded with another id (`prepareClassificationData`'s `padTokenId`). */
  padTokenId?: number;
  /** Default `'last'`, the book's (as `GPTClassifier`). */
  pooling?: Pooling;
  /** What trained without LoRA: default `'last-block'`, the book's (as `createClassifier`). Ignored with `lora`. */
  trainable?: TrainablePart;
  /** The LoRA updates' settings, when they trained (the rest of the model then stayed frozen). */
  lora?: LoRASettings | null;
}

/**
 * The settings a classifier is saved with (`classifier.json`), from what it was trained on and how: the
 * padding id is the tokenizer's, so it matches the padding of the training batches.
 */
export function classifierSettings(options: ClassifierSettingsOptions): ClassifierSettings {
  const lora = options.lora ?? null;
  return {
    classes: [...options.classes],
    maxLength: options.maxLength,
    padTokenId: options.padTokenId ?? padTokenIdOf(options.tokenizer),
    pooling: options.pooling ?? 'last',
    trainable: lora ? 'lora' : (options.trainable ?? 'last-block'),
    lora,
  };
}

export function settingsToJson(settings: ClassifierSettings): Record<string, unknown> {
  return {
    format: CLASSIFIER_FORMAT,
    version: 1,
    classes: settings.classes,
    max_length: settings.maxLength,
    pad_token_id: settings.padTokenId,
    pooling: settings.pooling,
    trainable: settings.trainable,
    lora: settings.lora,
  };
}

export function parseClassifierSettings(
  json: unknown,
  source: string = CLASSIFIER_SETTINGS_FILE,
): ClassifierSettings {
  const fail = (problem: string): never => {
    throw new ClassifierFileError(`${source}: ${problem}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('not a JSON object');
  const record = json as Record<string, unknown>;
  if (record.format !== CLASSIFIER_FORMAT) return fail(`"format" must be "${CLASSIFIER_FORMAT}"`);
  if (record.version !== 1)
    return fail(`"version" ${JSON.stringify(record.version)} is not one this version reads (1)`);
  const classes = record.classes;
  if (
    !Array.isArray(classes) ||
    classes.length < 2 ||
    classes.some((name) => typeof name !== 'string') ||
    new Set(classes).size !== classes.length
  ) {
    return fail('"classes" must list two or more distinct class names');
  }
  const integer = (name: string, min: number) => {
    const value = record[name];
    if (!Number.isSafeInteger(value) || (value as number) < min)
      fail(`"${name}" must be an integer ≥ ${min}`);
    return value as number;
  };
  const pooling = record.pooling;
  if (!poolings.includes(pooling as Pooling)) return fail(`"pooling" must be one of ${poolings.join(', ')}`);
  const trainable = record.trainable;
  if (trainable !== 'lora' && !trainableParts.includes(trainable as TrainablePart)) {
    return fail(`"trainable" must be one of ${[...trainableParts, 'lora'].join(', ')}`);
  }
  const lora = parseLoRA(record.lora, fail);
  if ((trainable === 'lora') !== (lora !== null))
    return fail('"lora" must be given exactly when "trainable" is "lora"');
  return {
    classes: classes as string[],
    maxLength: integer('max_length', 1),
    padTokenId: integer('pad_token_id', 0),
    pooling: pooling as Pooling,
    trainable: trainable as TrainablePart | 'lora',
    lora,
  };
}

function parseLoRA(value: unknown, fail: (problem: string) => never): LoRASettings | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return fail('"lora" must be null or an object');
  const { rank, alpha, scaling } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(rank) || (rank as number) < 1) return fail('"lora.rank" must be an integer ≥ 1');
  if (typeof alpha !== 'number' || !(alpha > 0) || !Number.isFinite(alpha))
    return fail('"lora.alpha" must be a number > 0');
  if (scaling !== 'rank' && scaling !== 'alpha') return fail('"lora.scaling" must be "rank" or "alpha"');
  return { rank: rank as number, alpha, scaling };
}

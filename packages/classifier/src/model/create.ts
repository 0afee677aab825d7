/**
 * A classifier ready to fine-tune, from a GPT or an open family's decoder: the book's chapter 6 (a new
 * head, then only some parts train) or its appendix E (every weight frozen, LoRA updates on every
 * Linear, the head included).
 */
import { applyLoRA, type LoRASettings } from '@scratchgpt/lora';
import type { Generator } from '@scratchgpt/tensor';
import type { BackboneModel } from './backbone.js';
import { GPTClassifier, type Pooling, type TrainablePart } from './gpt-classifier.js';

export interface CreateClassifierOptions {
  numClasses: number;
  pooling?: Pooling;
  /** Default `'last-block'`, the book's. Ignored with `lora`, which trains the updates alone. */
  trainable?: TrainablePart;
  lora?: LoRASettings;
  generator?: Generator;
}

export function createClassifier(model: BackboneModel, options: CreateClassifierOptions): GPTClassifier {
  const generator = options.generator ? { generator: options.generator } : {};
  const classifier = new GPTClassifier(model, {
    numClasses: options.numClasses,
    ...(options.pooling ? { pooling: options.pooling } : {}),
    ...generator,
  });
  if (options.lora) applyLoRA(classifier, { ...options.lora, ...generator });
  else classifier.trainOnly(options.trainable ?? 'last-block');
  return classifier;
}

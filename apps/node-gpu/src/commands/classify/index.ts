/**
 * `scratchgpt classify train|eval|predict`: classification fine-tuning (the book's chapter 6, and LoRA
 * from its appendix E), evaluation per split, and predictions.
 */
import type { CommandGroup } from '../command.js';
import { classifyEval } from './eval.js';
import { classifyPredict } from './predict.js';
import { classifyTrain } from './train.js';

export const classify: CommandGroup = {
  summary: 'fine-tune a GPT into a text classifier (SMS spam by default), evaluate it, classify texts',
  description: `Fine-tunes a GPT into a text classifier (the book's chapter 6, and LoRA from its appendix E),
evaluates it on each split of its data, and classifies texts.
The classifier directory holds config.json + model.safetensors (the GPT, loadable by every command),
classifier.safetensors (the class head), classifier.json (classes, padded length, pooling, what
trained) and, with LoRA, adapter.safetensors.`,
  subcommands: { train: classifyTrain, eval: classifyEval, predict: classifyPredict },
};

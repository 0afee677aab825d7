/** `scratchgpt instruct train|respond`: instruction fine-tuning and the answers of the tuned model. */
import type { CommandGroup } from './command.js';
import { instructRespond } from './instruct-respond.js';
import { instructTrain } from './instruct-train.js';

export const instruct: CommandGroup = {
  summary: 'instruction fine-tuning (train) and answers to instructions (respond)',
  description: `Fine-tunes a model to follow instructions (the book's chapter 7), and writes its answers for
'scratchgpt judge' to score.`,
  subcommands: { train: instructTrain, respond: instructRespond },
};

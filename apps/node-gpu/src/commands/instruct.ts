/** `scratchgpt instruct train|dpo|respond`: instruction fine-tuning, preference tuning, and the answers of the tuned model. */
import type { CommandGroup } from './command.js';
import { instructDpo } from './instruct-dpo.js';
import { instructRespond } from './instruct-respond.js';
import { instructTrain } from './instruct-train.js';

export const instruct: CommandGroup = {
  summary: 'instruction fine-tuning (train), preference tuning (dpo) and answers to instructions (respond)',
  description: `Fine-tunes a model to follow instructions (the book's chapter 7), tunes it further on preferred
answers (DPO, the chapter's bonus), and writes its answers for 'scratchgpt judge' to score.`,
  subcommands: { train: instructTrain, dpo: instructDpo, respond: instructRespond },
};

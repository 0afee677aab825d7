/** `scratchgpt instruct train|respond`: instruction fine-tuning and the answers of the tuned model. */
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { Command } from './command.js';
import { instructRespondHelp, runInstructRespond } from './instruct-respond.js';
import { instructTrainHelp, runInstructTrain } from './instruct-train.js';

const subcommands = { train: runInstructTrain, respond: runInstructRespond };

export const instruct: Command = {
  summary: 'instruction fine-tuning (train) and answers to instructions (respond)',
  usage: `scratchgpt instruct train --model DIR --out DIR [--data FILE] [options]
       scratchgpt instruct respond --model DIR --out FILE [--data FILE] [options]`,
  help: `${instructTrainHelp}\n\n${instructRespondHelp}`,
  run(args, context) {
    const [name, ...rest] = args;
    const run =
      name !== undefined && Object.hasOwn(subcommands, name)
        ? subcommands[name as keyof typeof subcommands]
        : undefined;
    if (run === undefined) {
      const suggestion = name === undefined ? undefined : closest(name, Object.keys(subcommands));
      throw new UsageError(
        `instruct: ${name === undefined ? 'give a subcommand' : `unknown subcommand '${name}'`}${suggestion ? `; did you mean '${suggestion}'?` : ''}: train or respond. See 'scratchgpt help instruct'.`,
      );
    }
    return run(rest, context);
  },
};

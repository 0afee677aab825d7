/**
 * `scratchgpt classify train|eval|predict`: classification fine-tuning (the book's chapter 6, and LoRA
 * from its appendix E), evaluation per split, and predictions.
 */
import { UsageError } from '../../errors.js';
import { closest } from '../../suggest.js';
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { dataHelp } from './data.js';
import { runClassifyEval } from './eval.js';
import { runClassifyPredict } from './predict.js';
import { runClassifyTrain } from './train.js';

const subcommands: Record<string, (args: string[], context: CommandContext) => Promise<number>> = {
  train: runClassifyTrain,
  eval: runClassifyEval,
  predict: runClassifyPredict,
};

export const classify: Command = {
  summary: 'fine-tune a GPT into a text classifier (SMS spam by default), evaluate it, classify texts',
  usage: `scratchgpt classify train (--model DIR | --config NAME) --out DIR [--data FILE] [options]
       scratchgpt classify train --model RUN_DIR [options]      (resume)
       scratchgpt classify eval --model DIR [--data FILE] [--split train|validation|test|all]
       scratchgpt classify predict --model DIR [TEXT...]        (no TEXT: one text per line of stdin)`,
  help: `Fine-tunes a GPT on labelled texts, as the book's chapter 6 does with the SMS Spam Collection:
every class undersampled to the smallest (seeded), a 0.7 / 0.1 / 0.2 split (seeded: with the bundled
data and the default seed 123 it is the book's exact split), texts padded with <|endoftext|> to the
longest training text, the vocabulary head replaced by a class head.

classify train:
  --model DIR            a GPT checkpoint or run to fine-tune; a classifier checkpoint to train on;
                         a classifier run to resume exactly (then --out defaults to it)
  --config NAME|FILE     instead: a new model with random weights (a preset such as gpt-micro)
  --out DIR              the run directory (checkpoints, checkpoint.json, loss.svg)
  --trainable PART       head | last-block (the book's: the last block, the final norm, the head) | all
  --pooling P            last (the book's: the last position, often a pad) | last-non-pad (each
                         text's last token: predictions that do not depend on the padding)
  --lora-rank R          LoRA instead (appendix E): freeze the model, train rank-R updates of every
                         Linear, the head included
  --lora-alpha A         LoRA's alpha (default: the rank); --lora-scaling rank|alpha: scale by
                         alpha / rank (default) or by alpha (the printed book)
  --max-length N         pad or truncate every text to N tokens (default: the longest training text;
                         it must fit the model's context)
  --epochs E | --steps S how long (default 5 epochs); --lr X (default 5e-5; the book uses 8e-4 with
                         LoRA), --weight-decay X (0.1), --warmup-steps, --min-lr, --grad-clip,
                         --grad-accum as in 'train'
  --eval-every N         loss and accuracy after step 1 and every N steps (default 50), on
                         --eval-batches N batches of each split (default 5)
  --checkpoint-every N   also save every N steps (always at the end and on Ctrl-C)
  --no-final-eval        skip the loss and accuracy of every split at the end

${dataHelp}

classify eval: loss, accuracy and the confusion matrix of each split. A run is evaluated on its own
data and split unless --data (and the data flags) say otherwise.

classify predict: the most likely class of each text and its probability.

The classifier directory holds config.json + model.safetensors (the GPT, loadable by every command),
classifier.safetensors (the class head), classifier.json (classes, padded length, pooling, what
trained) and, with LoRA, adapter.safetensors.
With --json: train prints {"event":"step",…}, {"event":"eval","step","trainLoss","valLoss",
"trainAccuracy","valAccuracy","examplesSeen"}, {"event":"done",…} and {"event":"evaluation",
"classes","train","validation","test"} (each {"accuracy","loss","examples","correct","confusion"});
eval prints the evaluation object; predict one {"text","label","probabilities","truncated"} per text.`,
  run(args, context) {
    const [name, ...rest] = args;
    const run = name !== undefined && Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
    if (run === undefined) {
      const suggestion = name === undefined ? undefined : closest(name, Object.keys(subcommands));
      throw new UsageError(
        `classify: ${name === undefined ? 'give a subcommand' : `unknown subcommand '${name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`}: train, eval or predict. See 'scratchgpt help classify'.`,
      );
    }
    return run(rest, context);
  },
};

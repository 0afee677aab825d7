import { join } from 'node:path';
import { readFlags } from '../args.js';
import { outputPathFlag } from '../output-file.js';
import { inspectDirectory } from '../run-directory.js';
import { defineCommand } from './command.js';
import { generate } from './generate.js';
import { runTrain, train } from './train.js';

export const demo = defineCommand({
  summary: 'train a small GPT on The Verdict for a few minutes, then generate',
  description: `Trains a small GPT on the bundled The Verdict for a few minutes on the best backend here, printing
the loss as it falls, then continues "Every effort moves you".`,
  flags: {
    minutes: {
      type: 'number',
      value: 'M',
      min: 0,
      exclusiveMin: true,
      max: 10_000,
      default: 3,
      help: 'how long to train',
    },
    out: {
      type: 'string',
      value: 'DIR',
      defaultText: 'runs/demo; a new directory each time it is not empty: runs/demo-2, …',
      help: "where the run is saved; resume it with 'scratchgpt train --model DIR'",
    },
    config: {
      type: 'string',
      value: 'NAME',
      default: 'gpt-micro',
      help: 'the model, trained on windows of 64 tokens',
    },
  },
  async run(values, context) {
    const { minutes, config } = values;
    const out =
      outputPathFlag(values, 'out') ?? (await freeRunDirectory(join(process.cwd(), 'runs', 'demo')));
    context.output.note(
      `Training ${config} on The Verdict for ${minutes} minute(s); the run is saved in ${out}.`,
    );
    const timeout = AbortSignal.timeout(minutes * 60_000);
    // The book's recipe, faster: windows of 64, batches of 8, a higher rate.
    const recipe = ['--context', '64', '--batch-size', '8', '--lr', '1e-3', '--epochs', '1000'];
    const evaluation = ['--eval-every', '10', '--eval-batches', '4'];
    const trainArgs = ['--config', config, ...recipe, ...evaluation, '--out', out];
    await runTrain(readFlags(train, 'train', trainArgs), context, { signal: timeout });
    context.output.note('\nSample (temperature 0.7, top-k 40):');
    const sampling = ['--max-new-tokens', '40', '--temperature', '0.7', '--top-k', '40'];
    const generateArgs = ['--model', out, '--prompt', 'Every effort moves you', ...sampling];
    return generate.run(readFlags(generate, 'generate', generateArgs), context, []);
  },
});

/** `base`, or `base-2`, `base-3`… : the first that holds no run or checkpoint yet. */
async function freeRunDirectory(base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const { kind } = await inspectDirectory(candidate, '--out');
    if (kind === 'missing' || kind === 'empty' || kind === 'incomplete-run') return candidate;
  }
}

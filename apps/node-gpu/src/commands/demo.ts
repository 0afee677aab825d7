import { join } from 'node:path';
import { type FlagSpec, numberFlag, parseFlags, stringFlag } from '../args.js';
import { outputPathFlag } from '../output-file.js';
import { inspectDirectory } from '../run-directory.js';
import type { Command } from './command.js';
import { generate } from './generate.js';
import { runTrain } from './train.js';

const flags = {
  minutes: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
} as const satisfies FlagSpec;

export const demo: Command = {
  summary: 'train a small GPT on The Verdict for a few minutes, then generate',
  usage: 'scratchgpt demo [--minutes M] [--out DIR] [--config NAME]',
  help: `Trains a small GPT on the bundled The Verdict for a few minutes on the best backend here, printing
the loss as it falls, then continues "Every effort moves you".
  --minutes M            how long to train (default 3)
  --out DIR              where the run is saved (default runs/demo; a new directory each time
                         it is not empty: runs/demo-2, …); resume it with 'scratchgpt train --model DIR'
  --config NAME          the model (default gpt-micro), trained on windows of 64 tokens`,
  async run(args, context) {
    const values = parseFlags(args, flags, 'demo');
    const minutes = numberFlag(values, 'minutes', { min: 0, exclusiveMin: true, max: 10_000 }) ?? 3;
    const out =
      outputPathFlag(values, 'out') ?? (await freeRunDirectory(join(process.cwd(), 'runs', 'demo')));
    const config = stringFlag(values, 'config') ?? 'gpt-micro';
    context.output.note(
      `Training ${config} on The Verdict for ${minutes} minute(s); the run is saved in ${out}.`,
    );
    const timeout = AbortSignal.timeout(minutes * 60_000);
    // The book's recipe, faster: windows of 64, batches of 8, a higher rate.
    const recipe = ['--context', '64', '--batch-size', '8', '--lr', '1e-3', '--epochs', '1000'];
    const evaluation = ['--eval-every', '10', '--eval-batches', '4'];
    await runTrain(['--config', config, ...recipe, ...evaluation, '--out', out], context, {
      signal: timeout,
    });
    context.output.note('\nSample (temperature 0.7, top-k 40):');
    const sampling = ['--max-new-tokens', '40', '--temperature', '0.7', '--top-k', '40'];
    return generate.run(['--model', out, '--prompt', 'Every effort moves you', ...sampling], context);
  },
};

/** `base`, or `base-2`, `base-3`… : the first that holds no run or checkpoint yet. */
async function freeRunDirectory(base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const { kind } = await inspectDirectory(candidate, '--out');
    if (kind === 'missing' || kind === 'empty' || kind === 'incomplete-run') return candidate;
  }
}

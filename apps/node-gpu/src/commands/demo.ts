import { join } from 'node:path';
import { type FlagSpec, numberFlag, parseFlags, stringFlag } from '../args.js';
import type { CommandContext } from './context.js';
import { runGenerate } from './generate.js';
import { runTrain } from './train.js';

export const demoFlags = {
  minutes: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
} as const satisfies FlagSpec;

export const demoHelp = `scratchgpt demo [--minutes M] [--out DIR] [--config NAME]

Trains a small GPT (default gpt-micro, context 64) on the bundled The Verdict for M minutes (default 3)
on the best backend here, printing the loss as it falls, then continues "Every effort moves you".
The run is saved in DIR (default runs/demo): resume it with 'scratchgpt train --model DIR'.`;

export async function runDemo(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, demoFlags, 'demo');
  const minutes = numberFlag(values, 'minutes', { min: 0, exclusiveMin: true }) ?? 3;
  const out = stringFlag(values, 'out') ?? join(process.cwd(), 'runs', 'demo');
  const config = stringFlag(values, 'config') ?? 'gpt-micro';
  context.output.note(
    `Training ${config} on The Verdict for ${minutes} minute(s); the run is saved in ${out}.`,
  );
  const timeout = AbortSignal.timeout(minutes * 60_000);
  await runTrain(
    [
      '--config',
      config,
      '--context',
      '64',
      '--batch-size',
      '8',
      '--lr',
      '1e-3',
      '--epochs',
      '1000',
      '--eval-every',
      '10',
      '--eval-batches',
      '4',
      '--out',
      out,
    ],
    context,
    { signal: timeout },
  );
  context.output.note('\nSample (temperature 0.7, top-k 40):');
  return runGenerate(
    [
      '--model',
      out,
      '--prompt',
      'Every effort moves you',
      '--max-new-tokens',
      '40',
      '--temperature',
      '0.7',
      '--top-k',
      '40',
    ],
    context,
  );
}

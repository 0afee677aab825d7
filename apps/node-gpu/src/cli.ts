#!/usr/bin/env node
/**
 * scratchgpt: train a GPT on a text, generate from it, evaluate, convert and benchmark checkpoints.
 * Exit codes: 0 success, 1 failure, 2 bad usage; errors are one line (the stack with --debug).
 */
import { parseArgs } from 'node:util';
import { tf } from '@scratchgpt/tensor';
import { globalFlags, numberFlag } from './args.js';
import { parseBackend } from './backend.js';
import { benchHelp, runBench } from './commands/bench.js';
import { type CommandContext, createContext } from './commands/context.js';
import { convertHelp, runConvert } from './commands/convert.js';
import { demoHelp, runDemo } from './commands/demo.js';
import { downloadHelp, runDownload } from './commands/download.js';
import { evalHelp, runEval } from './commands/evaluate.js';
import { generateHelp, runGenerate } from './commands/generate.js';
import { infoHelp, runInfo } from './commands/info.js';
import { runTokenize, tokenizeHelp } from './commands/tokenize.js';
import { runTrain, trainHelp } from './commands/train.js';
import { CommandError, UsageError } from './errors.js';
import { createOutput } from './output.js';

type Command = (args: string[], context: CommandContext) => Promise<number>;

const commands: Record<string, { run: Command; help: string; summary: string }> = {
  info: { run: runInfo, help: infoHelp, summary: 'backends found here, the one chosen, device limits' },
  tokenize: { run: runTokenize, help: tokenizeHelp, summary: 'count the tokens of a text' },
  train: { run: runTrain, help: trainHelp, summary: 'pretrain a GPT on a text, or resume a run' },
  generate: { run: runGenerate, help: generateHelp, summary: 'continue a prompt with a trained model' },
  eval: { run: runEval, help: evalHelp, summary: 'loss and perplexity of a model on a text' },
  convert: { run: runConvert, help: convertHelp, summary: 'rewrite a checkpoint in the hf or book layout' },
  download: { run: runDownload, help: downloadHelp, summary: 'fetch a model from the Hugging Face Hub' },
  bench: { run: runBench, help: benchHelp, summary: 'training, forward and generation speed' },
  demo: {
    run: runDemo,
    help: demoHelp,
    summary: 'train a small GPT on The Verdict for a few minutes, then generate',
  },
};

const usage = `scratchgpt <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, { summary }]) => `  ${name.padEnd(9)} ${summary}`)
  .join('\n')}

Global options:
  --backend auto|node-gpu|webgpu|wasm|cpu   where to compute (auto: a hardware GPU, else wasm)
  --json                                    machine-readable output on stdout
  --seed N                                  random seed (default 123)
  --debug                                   show stack traces
Run 'scratchgpt <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined)
    throw new UsageError(`Unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  const { values } = parseArgs({ args: rest, options: globalFlags, strict: false, allowPositionals: true });
  const output = createOutput(values.json === true);
  const seed =
    numberFlag(values as Record<string, string | boolean | undefined>, 'seed', { integer: true, min: 0 }) ??
    123;
  const context = createContext(
    output,
    seed,
    parseBackend(typeof values.backend === 'string' ? values.backend : undefined),
  );
  return command.run(rest, context);
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => finish(code),
  (error: unknown) => {
    const usageError = error instanceof UsageError;
    const known = usageError || error instanceof CommandError;
    const message = error instanceof Error ? error.message : String(error);
    const line = known ? message : (outOfMemory(message) ?? `unexpected error: ${message.split('\n')[0]}`);
    process.stderr.write(`scratchgpt: ${line}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    finish(usageError ? 2 : 1);
  },
);

/** The wasm backend's heap stops at 4 GiB; running past it surfaces as a trap, not as a clear error. */
function outOfMemory(message: string): string | undefined {
  if (tf.getBackend() !== 'wasm' || !/memory access out of bounds|Aborted\(\)|out of memory/i.test(message)) {
    return undefined;
  }
  return (
    'the wasm backend ran out of memory (its heap holds at most 4 GiB): use a smaller model, batch size or ' +
    'context, or --backend webgpu'
  );
}

/** Exits once stdout has drained: Dawn's threads would otherwise keep the process alive. */
function finish(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

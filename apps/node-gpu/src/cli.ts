#!/usr/bin/env node
/**
 * scratchgpt: train a GPT on a text, generate from it, evaluate, convert and benchmark checkpoints.
 * Exit codes: 0 success, 1 failure, 2 bad usage; errors are one line (the stack with --debug).
 */
import { parseArgs } from 'node:util';
import { currentBackend } from '@scratchgpt/tensor';
import { globalFlags, numberFlag } from './args.js';
import { parseBackend } from './backend.js';
import { bench } from './commands/bench.js';
import { chat } from './commands/chat.js';
import { classify } from './commands/classify/index.js';
import type { Command } from './commands/command.js';
import { createContext } from './commands/context.js';
import { convert } from './commands/convert.js';
import { demo } from './commands/demo.js';
import { download } from './commands/download.js';
import { evaluate } from './commands/evaluate.js';
import { generate } from './commands/generate.js';
import { info } from './commands/info.js';
import { instruct } from './commands/instruct.js';
import { judge } from './commands/judge.js';
import { tokenize } from './commands/tokenize.js';
import { train } from './commands/train.js';
import { oneLine } from './error-line.js';
import { CommandError, UsageError } from './errors.js';
import { commandHelp, overview } from './help.js';
import { createOutput } from './output.js';
import { closest } from './suggest.js';
import { versionLine } from './version.js';

const commands: Record<string, Command> = {
  info,
  tokenize,
  train,
  generate,
  eval: evaluate,
  convert,
  download,
  classify,
  bench,
  demo,
  instruct,
  judge,
  chat,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stdout.write(`${overview(commands)}\n`);
    return 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    process.stdout.write(`${topic === undefined ? overview(commands) : commandHelp(find(topic))}\n`);
    return 0;
  }
  const command = find(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  const { values } = parseArgs({ args: rest, options: globalFlags, strict: false, allowPositionals: true });
  const flags = values as Record<string, string | boolean | undefined>;
  const seed = numberFlag(flags, 'seed', { integer: true, min: 0 });
  const context = createContext(createOutput(flags.json === true), {
    seed: seed ?? 123,
    seedGiven: seed !== undefined,
    backend: parseBackend(typeof flags.backend === 'string' ? flags.backend : undefined),
    debug: flags.debug === true,
  });
  return command.run(rest, context);
}

function find(name: string): Command {
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command !== undefined) return command;
  const suggestion = closest(name, Object.keys(commands));
  throw new UsageError(
    `Unknown command '${name}'${suggestion ? `; did you mean '${suggestion}'?` : '.'} Commands: ${Object.keys(commands).join(', ')}`,
  );
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => finish(code),
  (error: unknown) => {
    const usageError = error instanceof UsageError;
    const known = usageError || error instanceof CommandError;
    const line = known ? (error as Error).message : describeUnexpected(error);
    process.stderr.write(`scratchgpt: ${oneLine(line)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    finish(usageError ? 2 : 1);
  },
);

/** An error no check anticipated: still one line, with what is known about it. */
function describeUnexpected(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = (message.split('\n')[0] ?? '').slice(0, 300);
  return outOfMemory(message) ?? `unexpected error: ${firstLine} (run again with --debug for the details)`;
}

/** The wasm backend's heap stops at 4 GiB; running past it surfaces as a trap, not as a clear error. */
function outOfMemory(message: string): string | undefined {
  if (
    currentBackend()?.backend !== 'wasm' ||
    !/memory access out of bounds|Aborted\(\)|out of memory/i.test(message)
  ) {
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

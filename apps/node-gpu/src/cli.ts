#!/usr/bin/env node
/**
 * scratchgpt: train a GPT on a text, generate from it, evaluate, convert and benchmark checkpoints.
 * Exit codes: 0 success, 1 failure, 2 bad usage; errors are one line (the stack with --debug).
 */
import { currentBackend } from '@scratchgpt/tensor';
import { readCommandLine } from './args.js';
import { asksForHelp, findCommand, isGroup, noSubcommand } from './commands/command.js';
import { createContext } from './commands/context.js';
import { commands } from './commands/index.js';
import { oneLine } from './error-line.js';
import { CommandError, UsageError } from './errors.js';
import { helpOf, overview, programFlags } from './help.js';
import { heapExhaustedLine } from './out-of-memory.js';
import { createOutput } from './output.js';
import { versionLine } from './version.js';

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stdout.write(`${overview(commands)}\n`);
    return 2;
  }
  if (first === '--version' || first === `-${programFlags.version.short}`) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (first === 'help' || asksForHelp([first])) {
    const topic = first === 'help' ? rest : [];
    const found = topic.length > 0 ? findCommand(commands, topic) : undefined;
    process.stdout.write(`${found ? helpOf(found.path, found.command) : overview(commands)}\n`);
    return 0;
  }
  const { path, command, rest: args } = findCommand(commands, argv);
  if (asksForHelp(args)) {
    process.stdout.write(`${helpOf(path, command)}\n`);
    return 0;
  }
  if (isGroup(command)) throw noSubcommand(path, command);
  const { values, positionals, given } = readCommandLine(command, path, args);
  const context = createContext(createOutput(values.json), {
    seed: values.seed,
    seedGiven: given.has('seed'),
    backend: values.backend,
    debug: values.debug,
  });
  return command.run(values, context, positionals);
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
  return (
    heapExhaustedLine(currentBackend()?.backend, message) ??
    `unexpected error: ${firstLine} (run again with --debug for the details)`
  );
}

/** Exits once stdout has drained: Dawn's threads would otherwise keep the process alive. */
function finish(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

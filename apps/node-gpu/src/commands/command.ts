import { choiceList, type Flags, type FlagValues } from '../args.js';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import type { CommandContext } from './context.js';

/**
 * A `scratchgpt` command, declared once: its flags, and what `help` says of it. The command line is
 * read from the declaration (args.ts) before `run` is called; the help is written from it (help.ts).
 */
export interface CommandDefinition<F extends Flags = Flags> {
  /** One line for the command list. */
  summary: string;
  /** How to call it, each way a line (default: its required flags, positionals, then the others). */
  usage?: readonly string[];
  /** What it does: the help's first paragraph. */
  description: string;
  flags: F;
  /** The positional arguments it takes, as its usage names them (`TEXT...`); none without. */
  positionals?: string;
  /** What the help says after the flags: its `--json` shape, what Ctrl-C does… */
  notes?: string;
  run(values: FlagValues<F>, context: CommandContext, positionals: string[]): Promise<number>;
}

/** A command of subcommands (`classify train|eval|predict`), each a command of its own. */
export interface CommandGroup {
  summary: string;
  description: string;
  subcommands: Readonly<Record<string, Command>>;
  notes?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a definition of any flags; `defineCommand` keeps each one's types
export type Command = CommandDefinition<any> | CommandGroup;

export function defineCommand<const F extends Flags>(definition: CommandDefinition<F>): CommandDefinition<F> {
  return definition;
}

export function isGroup(command: Command): command is CommandGroup {
  return 'subcommands' in command;
}

/**
 * The command the first words of `words` name, down through subcommands while words are left (a
 * group is the answer for `--help`, or when they run out), its path (`classify train`) and the words
 * after it.
 */
export function findCommand(
  commands: Readonly<Record<string, Command>>,
  words: readonly string[],
): { path: string; command: Command; rest: string[] } {
  const [name, ...rest] = words;
  const command = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    const suggestion = closest(String(name), Object.keys(commands));
    throw new UsageError(
      `Unknown command '${name}'${suggestion ? `; did you mean '${suggestion}'?` : '.'} Commands: ${Object.keys(commands).join(', ')}`,
    );
  }
  let path = name as string;
  let found: Command = command;
  while (isGroup(found) && rest.length > 0 && !asksForHelp(rest.slice(0, 1))) {
    const sub = rest.shift() as string;
    const next: Command | undefined = Object.hasOwn(found.subcommands, sub)
      ? found.subcommands[sub]
      : undefined;
    if (next === undefined) throw noSubcommand(path, found, sub);
    path = `${path} ${sub}`;
    found = next;
  }
  return { path, command: found, rest };
}

/** A group called without one of its subcommands, or with a name that is none of them. */
export function noSubcommand(path: string, group: CommandGroup, name?: string): UsageError {
  const names = Object.keys(group.subcommands);
  const suggestion = name === undefined ? undefined : closest(name, names);
  const problem = name === undefined ? 'give a subcommand' : `unknown subcommand '${name}'`;
  return new UsageError(
    `${path}: ${problem}${suggestion ? `; did you mean '${suggestion}'?` : ''}: ${choiceList(names)}. See 'scratchgpt help ${path}'.`,
  );
}

/** `--help` or `-h` among the arguments (before a `--`, after which all are texts). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

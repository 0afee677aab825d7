/** The text `scratchgpt help [command [subcommand]]` prints, written from the commands' declarations. */
import { type Flag, type Flags, globalFlags } from './args.js';
import { type Command, type CommandDefinition, type CommandGroup, isGroup } from './commands/command.js';

/** Where a flag's description starts, and the width it is wrapped to. */
const COLUMN = 25;
const WIDTH = 100;

/** Flags of the program alone (before any command). */
export const programFlags = {
  version: { type: 'boolean', short: 'V', help: 'the version' },
} as const satisfies Flags;

export function helpOf(path: string, command: Command): string {
  const blocks = isGroup(command)
    ? [
        usage(usageOfGroup(path, command)),
        command.description,
        `Subcommands:\n${list(command.subcommands)}`,
        command.notes,
        `Run 'scratchgpt help ${path} <subcommand>' (or 'scratchgpt ${path} <subcommand> --help') for its options.`,
      ]
    : [usage(usageOf(path, command)), command.description, flagLines(command.flags), command.notes];
  return [...blocks, globalOptions()].filter((block) => block).join('\n\n');
}

export function overview(commands: Readonly<Record<string, Command>>): string {
  return `usage: scratchgpt <command> [options]

Commands:
${list(commands)}

${globalOptions()}
${flagLines(programFlags)}

Run 'scratchgpt help <command>' (or 'scratchgpt <command> --help') for a command's options.`;
}

function globalOptions(): string {
  return `Global options (every command):\n${flagLines(globalFlags)}`;
}

function list(commands: Readonly<Record<string, Command>>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return Object.entries(commands)
    .map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`)
    .join('\n');
}

function usage(lines: readonly string[]): string {
  return lines.map((line, i) => `${i === 0 ? 'usage: ' : '       '}${line}`).join('\n');
}

function usageOfGroup(path: string, group: CommandGroup): string[] {
  return Object.entries(group.subcommands).flatMap(([name, command]) =>
    isGroup(command) ? usageOfGroup(`${path} ${name}`, command) : usageOf(`${path} ${name}`, command),
  );
}

/** The declared ways to call it, else one: its required flags, positionals, then the others. */
function usageOf(path: string, command: CommandDefinition): readonly string[] {
  if (command.usage) return command.usage;
  const flags = Object.entries(command.flags as Flags);
  const required = flags.filter(([, flag]) => flag.type === 'string' && flag.required);
  const optional = flags.filter(([, flag]) => !(flag.type === 'string' && flag.required));
  return [
    [
      `scratchgpt ${path}`,
      ...required.map(([name, flag]) => term(name, flag)),
      ...(command.positionals ? [command.positionals] : []),
      ...optional.map(([name, flag]) => `[${term(name, flag)}]`),
    ].join(' '),
  ];
}

/** One line a flag (two where its name is long), each section under its heading. */
function flagLines(flags: Flags): string {
  const lines: string[] = [];
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.section) lines.push(`${lines.length > 0 ? '\n' : ''}${flag.section}:`);
    const label = term(name, flag);
    const [first, ...rest] = wrap(describe(flag), WIDTH - COLUMN);
    const indent = ' '.repeat(COLUMN);
    lines.push(
      label.length + 3 > COLUMN ? `  ${label}\n${indent}${first}` : `  ${label.padEnd(COLUMN - 2)}${first}`,
      ...rest.map((line) => `${indent}${line}`),
    );
  }
  return lines.join('\n');
}

function term(name: string, flag: Flag): string {
  const value =
    flag.type === 'boolean'
      ? undefined
      : flag.type === 'string'
        ? (flag.value ?? flag.choices?.join('|'))
        : flag.value;
  return `${flag.short ? `-${flag.short}, ` : ''}--${name}${value ? ` ${value}` : ''}`;
}

/** The flag's help, then its default and upper bound. */
function describe(flag: Flag): string {
  if (flag.type === 'boolean') return flag.help;
  const defaultText = flag.defaultText ?? flag.default;
  const notes = [
    ...(defaultText !== undefined ? [`default: ${defaultText}`] : []),
    ...(flag.type !== 'string' && flag.max !== undefined ? [`at most ${flag.max}`] : []),
  ];
  return notes.length > 0 ? `${flag.help} (${notes.join('; ')})` : flag.help;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/**
 * Flags, declared once per command: type, placeholder, default, bounds or choices, and help. From that
 * declaration the command line is parsed strictly (node:util), each value checked, an unknown flag
 * answered with the nearest known one, and the help written (help.ts). What is wrong is a one-line
 * `UsageError` naming the flag.
 */
import { parseArgs } from 'node:util';
import type { BackendPreference } from '@scratchgpt/tensor';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';

interface FlagBase {
  /** What it does; the help adds its default and upper bound. */
  help: string;
  /** The heading it starts in the help: the flags after it follow it there. */
  section?: string;
  short?: string;
}

export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}

export interface StringFlag extends FlagBase {
  type: 'string';
  /** Its placeholder in the usage and help (default: its choices, `a|b|c`). */
  value?: string;
  /** Refused when missing or empty, with `<command>: --name is required`. */
  required?: boolean;
  /** May be given several times: the command gets every value, in order. */
  multiple?: true;
  choices?: readonly string[];
  /** Filled in when the flag is not given. */
  default?: string;
  /** The default as the help says it, where the command decides it (a resumed run keeps its own). */
  defaultText?: string;
}

export interface NumberFlag extends FlagBase {
  /** Decimal only: `Number()` also reads hexadecimal, octal and binary (`--steps 0x10` would be 16). */
  type: 'number' | 'integer';
  value: string;
  min?: number;
  /** The smallest value is excluded (a rate must be > 0). */
  exclusiveMin?: boolean;
  max?: number;
  default?: number;
  defaultText?: string;
}

export type Flag = BooleanFlag | StringFlag | NumberFlag;
export type Flags = Readonly<Record<string, Flag>>;

type ValueOf<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { type: 'number' | 'integer' }
    ? number
    : F extends { choices: readonly (infer C)[] }
      ? C
      : string;

type Given<F> = F extends { type: 'boolean' }
  ? boolean
  : F extends { multiple: true }
    ? string[]
    : F extends { required: true } | { default: string | number }
      ? ValueOf<F>
      : ValueOf<F> | undefined;

/** What a command receives: each flag's value, typed by its declaration. */
export type FlagValues<F extends Flags> = { -readonly [K in keyof F]: Given<F[K]> };

const backends: readonly BackendPreference[] = ['auto', 'node-gpu', 'webgpu', 'blas', 'wasm', 'cpu'];

/** The flags every command takes. */
export const globalFlags = {
  backend: {
    type: 'string',
    choices: backends,
    default: 'auto',
    help: 'where to compute: auto takes a hardware GPU, else blas, else wasm',
  },
  json: { type: 'boolean', help: 'machine-readable output on stdout' },
  seed: { type: 'integer', value: 'N', min: 0, default: 123, help: 'random seed' },
  debug: { type: 'boolean', help: "show stack traces and the backends' own warnings" },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies Flags;

/** What a command's flags hold (and a helper reading them) when its own types are not needed. */
export type Values = Readonly<Record<string, unknown>>;

export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export interface CommandLine<F extends Flags> {
  values: FlagValues<F> & FlagValues<typeof globalFlags>;
  positionals: string[];
  /** The flags given on the command line (the others hold their defaults). */
  given: ReadonlySet<string>;
}

/**
 * Reads a command's arguments by its declaration: flags, and positional arguments (texts, ids) only
 * where it declares them. `path` names the command in the errors (`classify train`).
 */
export function readCommandLine<F extends Flags>(
  definition: { flags: F; positionals?: string },
  path: string,
  args: string[],
): CommandLine<F> {
  const flags: Flags = { ...globalFlags, ...definition.flags };
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      {
        type: flag.type === 'boolean' ? 'boolean' : 'string',
        ...(flag.short ? { short: flag.short } : {}),
        ...(flag.type === 'string' && flag.multiple ? { multiple: true } : {}),
      },
    ]),
  ) as Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }>;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: attachNegativeNumbers(args, flags),
      options,
      strict: true,
      allowPositionals: definition.positionals !== undefined,
    });
  } catch (error) {
    const problem = explain(error as Error, flags);
    const stop = /[.?]$/.test(problem) ? '' : '.';
    throw new UsageError(`${path}: ${problem}${stop} See 'scratchgpt help ${path}'.`);
  }
  const values: Record<string, unknown> = {};
  const given = new Set(Object.keys(parsed.values));
  // Each given value checked in the order it was typed, then the defaults, then what is required.
  for (const name of given) {
    const value = parsed.values[name];
    values[name] = Array.isArray(value)
      ? value.map((each) => checked(name, flags[name]!, each))
      : checked(name, flags[name]!, value);
  }
  for (const [name, flag] of Object.entries(flags)) {
    if (given.has(name)) continue;
    values[name] =
      flag.type === 'boolean' ? false : flag.type === 'string' && flag.multiple ? [] : flag.default;
  }
  const missing = (value: unknown) =>
    value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.type === 'string' && flag.required && missing(values[name])) {
      throw new UsageError(`${path}: --${name} is required`);
    }
  }
  return { values: values as CommandLine<F>['values'], positionals: parsed.positionals, given };
}

/** A command's flags alone, as `readCommandLine` reads them (for one command running another). */
export function readFlags<F extends Flags>(definition: { flags: F }, path: string, args: string[]) {
  return readCommandLine(definition, path, args).values;
}

function checked(name: string, flag: Flag, value: unknown): unknown {
  if (flag.type === 'boolean') return value;
  const text = value as string;
  if (flag.type === 'string') {
    if (flag.choices && !flag.choices.includes(text)) {
      const suggestion = closest(text, flag.choices);
      throw new UsageError(
        `--${name} must be ${choiceList(flag.choices)}, got '${text}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
      );
    }
    return text;
  }
  const number = Number(text);
  const integer = flag.type === 'integer';
  if (!DECIMAL.test(text) || !Number.isFinite(number) || (integer && !Number.isSafeInteger(number))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${text}'`);
  }
  const { min, max, exclusiveMin } = flag;
  if (min !== undefined && (exclusiveMin ? number <= min : number < min)) {
    throw new UsageError(
      `--${name} must be ${exclusiveMin ? 'greater than' : 'at least'} ${min}, got ${text}`,
    );
  }
  if (max !== undefined) atMost(name, number, max, text);
  return number;
}

/** A bound only known once the model is: `--name` at most `max`. */
export function atMost<T extends number | undefined>(
  name: string,
  value: T,
  max: number,
  text = String(value),
): T {
  if (value !== undefined && value > max)
    throw new UsageError(`--${name} must be at most ${max}, got ${text}`);
  return value;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** `a or b`, `a, b or c`; past three, `one of a, b, c, d`. */
export function choiceList(choices: readonly string[]): string {
  if (choices.length > 3) return `one of ${choices.join(', ')}`;
  return choices.length === 1 ? choices[0]! : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}

/**
 * `--lr -1` reads as a flag named `-1` to node:util; a number after a flag that takes a value is that
 * value, so it is attached (`--lr=-1`) and the range check can say what is wrong with it.
 */
function attachNegativeNumbers(args: string[], flags: Flags): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const flag = arg.startsWith('--') ? flags[arg.slice(2)] : undefined;
    if (flag && flag.type !== 'boolean' && next !== undefined && /^-\d|^-\.\d|^-Infinity$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function explain(error: Error, flags: Flags): string {
  // node:util's messages run over several lines, and offer '--' for a positional starting with a dash.
  const message = error.message.replace(/\. To specify a positional argument.*$/s, '').replace(/\n/g, ' ');
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(message);
  if (unknown) {
    const suggestion = closest(unknown[2]!, Object.keys(flags));
    return suggestion ? `${message}; did you mean '--${suggestion}'?` : message;
  }
  const positional = /^Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `Unexpected argument '${positional[1]}' (this command takes only flags)`;
  return message;
}

/**
 * Flags, parsed strictly with node:util: an unknown flag (with the nearest known one suggested), a
 * missing value or a value that is not a number where one is needed is a `UsageError` naming the flag.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export const globalFlags = {
  backend: { type: 'string' },
  json: { type: 'boolean' },
  seed: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export type Values = Record<string, string | boolean | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
}

/** Parses the arguments of a command that takes flags only. */
export function parseFlags(args: string[], spec: FlagSpec, command: string): Values {
  return parseCommandLine(args, spec, command, false).values;
}

/** Parses the arguments of a command that also takes positional arguments (texts, ids). */
export function parseCommandLine(
  args: string[],
  spec: FlagSpec,
  command: string,
  positionals = true,
): Parsed {
  const options = { ...globalFlags, ...spec };
  try {
    const { values, positionals: rest } = parseArgs({
      args: attachNegativeNumbers(args, options),
      options,
      strict: true,
      allowPositionals: positionals,
    });
    return { values: values as Values, positionals: rest };
  } catch (error) {
    const problem = explain(error as Error, options);
    const stop = problem.endsWith('?') ? '' : '.';
    throw new UsageError(`${command}: ${problem}${stop} See 'scratchgpt help ${command}'.`);
  }
}

/**
 * `--lr -1` reads as a flag named `-1` to node:util; a number after a flag that takes a value is that
 * value, so it is attached (`--lr=-1`) and the range check can say what is wrong with it.
 */
function attachNegativeNumbers(args: string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && spec[name]?.type === 'string' && next !== undefined && /^-\d|^-\.\d|^-Infinity$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function explain(error: Error, spec: FlagSpec): string {
  const message = error.message.replace(/\. To specify a positional argument.*$/s, '');
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(message);
  if (unknown) {
    const suggestion = closest(unknown[2]!, Object.keys(spec));
    return suggestion ? `${message}; did you mean '--${suggestion}'?` : message;
  }
  const positional = /^Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `Unexpected argument '${positional[1]}' (this command takes only flags)`;
  return message;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requireString(values: Values, name: string, command: string): string {
  const value = stringFlag(values, name);
  if (value === undefined || value === '') throw new UsageError(`${command}: --${name} is required`);
  return value;
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  /** The smallest value is excluded (a rate must be > 0). */
  exclusiveMin?: boolean;
  max?: number;
}

/** Decimal only: `Number()` also reads hexadecimal, octal and binary (`--steps 0x10` would run 16 steps). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function numberFlag(values: Values, name: string, rule: NumberRule = {}): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (!DECIMAL.test(text) || !Number.isFinite(value) || (rule.integer && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} must be ${kind}, got '${text}'`);
  }
  if (rule.min !== undefined && (rule.exclusiveMin ? value <= rule.min : value < rule.min)) {
    throw new UsageError(
      `--${name} must be ${rule.exclusiveMin ? 'greater than' : 'at least'} ${rule.min}, got ${text}`,
    );
  }
  if (rule.max !== undefined && value > rule.max)
    throw new UsageError(`--${name} must be at most ${rule.max}, got ${text}`);
  return value;
}

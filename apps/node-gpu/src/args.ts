/**
 * Flags, parsed strictly with node:util: an unknown flag, a missing value or a value that is not a
 * number where one is needed is a `UsageError` naming the flag.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export const globalFlags = {
  backend: { type: 'string' },
  json: { type: 'boolean' },
  seed: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

export type Values = Record<string, string | boolean | undefined>;

export function parseFlags(args: string[], spec: FlagSpec, command: string): Values {
  try {
    const { values } = parseArgs({
      args,
      options: { ...globalFlags, ...spec },
      strict: true,
      allowPositionals: false,
    });
    return values as Values;
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${message}. See 'scratchgpt ${command} --help'.`);
  }
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

export function numberFlag(values: Values, name: string, rule: NumberRule = {}): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
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

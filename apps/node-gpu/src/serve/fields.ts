/** Field-by-field checks of a JSON request: each wrong field is a 400 that names it and what it takes. */
import { badField } from './api-error.js';

type Body = Readonly<Record<string, unknown>>;

export function requiredString(body: Body, name: string, path = name): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '')
    throw badField(path, value === undefined ? 'is required' : 'must be a non-empty string');
  return value;
}

export function optionalBoolean(body: Body, name: string, path = name): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badField(path, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

export function optionalNumber(
  body: Body,
  name: string,
  bounds: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean },
  path = name,
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const kind = bounds.integer ? 'an integer' : 'a number';
  const low = bounds.exclusiveMin ? `greater than ${bounds.min}` : `at least ${bounds.min}`;
  const range = `${kind} ${low} and at most ${bounds.max}`;
  if (typeof value !== 'number' || !Number.isFinite(value) || (bounds.integer && !Number.isInteger(value)))
    throw badField(path, `must be ${range}, got ${JSON.stringify(value)}`);
  const tooLow = bounds.exclusiveMin ? value <= bounds.min : value < bounds.min;
  if (tooLow || value > bounds.max) throw badField(path, `must be ${range}, got ${value}`);
  return value;
}

/** At most this many stop strings, as OpenAI allows. */
const MAX_STOPS = 4;

/** `stop`: one string or a list of them; empty strings are refused (they would stop at once). */
export function stopStrings(body: Body, name: string, path = name): string[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === ''))
    throw badField(path, 'must be a non-empty string or an array of non-empty strings');
  if (list.length > MAX_STOPS) throw badField(path, `holds ${list.length} strings; at most ${MAX_STOPS}`);
  return list as string[];
}

/** A nested object (`options`, `stream_options`), or an empty one where it is absent. */
export function optionalObject(body: Body, name: string): Body {
  const value = body[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badField(name, 'must be a JSON object');
  return value as Body;
}

/** Reading a tokenizer file's text as untrusted data: bounded, parsed, and checked field by field. */

/** A tokenizer file that cannot be used; the message names the file, the field and what to do. */
export class HFTokenizerFileError extends Error {
  override name = 'HFTokenizerFileError';
}

export type JsonObject = Record<string, unknown>;

/** The largest tokenizer.json read by default: Gemma 3's is 33 MB. */
export const MAX_TOKENIZER_JSON_BYTES = 64 * 1024 * 1024;
/** The largest tokenizer_config.json read by default: Gemma 3's lists its 6,415 added tokens (1.2 MB). */
export const MAX_TOKENIZER_CONFIG_BYTES = 8 * 1024 * 1024;

/** Parses a file's text or bytes into an object, refusing it unparsed when it is larger than `maxBytes`. */
export function parseJsonObject(source: string | Uint8Array, file: string, maxBytes: number): JsonObject {
  // A string's UTF-16 length is at most its UTF-8 size, so a long string is refused before it is encoded.
  const size = typeof source === 'string' ? source.length : source.byteLength;
  if (size > maxBytes) {
    throw new HFTokenizerFileError(
      `${file} is ${size.toLocaleString('en-US')} bytes, more than the ${maxBytes.toLocaleString('en-US')} allowed: it is damaged or not a tokenizer file (raise maxBytes if it is genuine)`,
    );
  }
  const text = typeof source === 'string' ? source : new TextDecoder('utf-8', { fatal: true }).decode(source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HFTokenizerFileError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  return expectObject(parsed, file, '(the whole file)');
}

export function expectObject(value: unknown, file: string, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HFTokenizerFileError(`${file}: ${field} must be an object, not ${describe(value)}`);
  }
  return value as JsonObject;
}

export function expectArray(value: unknown, file: string, field: string): unknown[] {
  if (!Array.isArray(value)) {
    throw new HFTokenizerFileError(`${file}: ${field} must be an array, not ${describe(value)}`);
  }
  return value;
}

export function expectString(value: unknown, file: string, field: string): string {
  if (typeof value !== 'string') {
    throw new HFTokenizerFileError(`${file}: ${field} must be a string, not ${describe(value)}`);
  }
  return value;
}

export function expectId(value: unknown, file: string, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new HFTokenizerFileError(
      `${file}: ${field} must be a token id (an integer ≥ 0), not ${describe(value)}`,
    );
  }
  return value as number;
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

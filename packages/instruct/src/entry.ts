/**
 * Instruction data as the book's `instruction-data.json` holds it: entries of `instruction`, an
 * optional `input` and the expected `output`, read from a JSON array or from JSON lines.
 */

import { jsonPreview, parseStrictJson } from '@scratchgpt/tensor';

/** Entries are objects of strings: anything nested deeper is wrong, and would only cost stack. */
const MAX_DEPTH = 16;

/** One instruction and the answer the model should learn to give. */
export interface InstructionEntry {
  instruction: string;
  /** Context the instruction works on; empty when there is none. */
  input: string;
  output: string;
}

/** The data cannot be used: the message names the entry (or line) and the field. */
export class InstructionDataError extends Error {
  override name = 'InstructionDataError';
}

/**
 * Reads a JSON array of entries, or JSON lines (one entry per line). `input` may be missing or null
 * (read as empty); other fields are ignored. `source` names the data in error messages.
 */
export function parseInstructionData(text: string, source = 'the instruction data'): InstructionEntry[] {
  return readRecords(text, source).map(({ value, where }) => toEntry(value, `${source}: ${where}`));
}

/** The records of a JSON array or of JSON lines, each with where it is; at least one. */
export function readRecords(text: string, source: string): Located[] {
  const trimmed = text.trimStart();
  const records = trimmed.startsWith('[') ? jsonArray(trimmed, source) : jsonLines(text, source);
  if (records.length === 0) throw new InstructionDataError(`${source} holds no entries`);
  return records;
}

export interface Located {
  value: unknown;
  /** "entry 12" (an array index, from 0) or "line 13" (from 1). */
  where: string;
}

function jsonArray(text: string, source: string): Located[] {
  let json: unknown;
  try {
    json = parseStrictJson(text, { maxDepth: MAX_DEPTH });
  } catch (error) {
    throw new InstructionDataError(`${source} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) throw new InstructionDataError(`${source} must be a JSON array of entries`);
  return json.map((value, index) => ({ value, where: `entry ${index}` }));
}

function jsonLines(text: string, source: string): Located[] {
  const records: Located[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      records.push({ value: parseStrictJson(line, { maxDepth: MAX_DEPTH }), where: `line ${index + 1}` });
    } catch (error) {
      throw new InstructionDataError(
        `${source}: line ${index + 1} is not valid JSON (${(error as Error).message}); give a JSON array or one JSON object per line`,
      );
    }
  }
  return records;
}

export function toEntry(value: unknown, where: string): InstructionEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InstructionDataError(`${where} is not an object with "instruction" and "output"`);
  }
  const record = value as Record<string, unknown>;
  const text = (field: string): string => stringField(record, field, where, '"instruction" and "output"');
  /** A field that may be missing or null: then empty. */
  const optionalText = (field: string): string => (record[field] == null ? '' : text(field));
  const instruction = text('instruction');
  if (instruction.trim() === '') throw new InstructionDataError(`${where}: "instruction" is empty`);
  return { instruction, input: optionalText('input'), output: text('output') };
}

/** A string field of a record, or an error naming where it is and what every entry needs. */
export function stringField(
  record: Record<string, unknown>,
  field: string,
  where: string,
  needed: string,
): string {
  const found = record[field];
  if (typeof found === 'string') return found;
  throw new InstructionDataError(
    found === undefined
      ? `${where} has no "${field}" (every entry needs ${needed} strings)`
      : `${where}: "${field}" must be a string, not ${jsonPreview(found, 40)}`,
  );
}

/**
 * Preference data as the book's `instruction-data-with-preference.json` holds it: each instruction
 * (and optional input) with a `chosen` answer to prefer and a `rejected` one to move away from, read
 * from a JSON array or from JSON lines as instruction data is.
 */
import { InstructionDataError, readRecords, stringField } from '../entry.js';

/** One instruction with a preferred and a dispreferred answer. */
export interface PreferenceEntry {
  instruction: string;
  /** Context the instruction works on; empty when there is none. */
  input: string;
  /** The answer of the instruction data the pair was made from, when the entry keeps it. */
  output?: string;
  chosen: string;
  rejected: string;
}

/**
 * Reads a JSON array of entries, or JSON lines (one entry per line). `input` and `output` may be
 * missing or null; other fields are ignored. `source` names the data in error messages.
 */
export function parsePreferenceData(text: string, source = 'the preference data'): PreferenceEntry[] {
  return readRecords(text, source).map(({ value, where }) => toPreferenceEntry(value, `${source}: ${where}`));
}

function toPreferenceEntry(value: unknown, where: string): PreferenceEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InstructionDataError(`${where} is not an object with "instruction", "chosen" and "rejected"`);
  }
  const record = value as Record<string, unknown>;
  const text = (field: string): string =>
    stringField(record, field, where, '"instruction", "chosen" and "rejected"');
  const instruction = text('instruction');
  if (instruction.trim() === '') throw new InstructionDataError(`${where}: "instruction" is empty`);
  const entry: PreferenceEntry = {
    instruction,
    input: record.input == null ? '' : text('input'),
    chosen: text('chosen'),
    rejected: text('rejected'),
  };
  if (record.output != null) entry.output = text('output');
  return entry;
}

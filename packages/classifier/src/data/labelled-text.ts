/**
 * Labelled texts from a file's content: TSV or CSV (read as pandas reads them, see `delimited.ts`) or
 * JSON lines. Columns are chosen by header name or by 0-based index; without a header the default is
 * the SMS Spam Collection's layout, label then text.
 */
import { readDelimited } from './delimited.js';

export type LabelledFormat = 'tsv' | 'csv' | 'jsonl';

export interface LabelledText {
  text: string;
  label: string;
}

export interface ReadLabelledOptions {
  format: LabelledFormat;
  /** Column (header name or 0-based index) or JSON key of the text (default: `text`, or column 1 without a header). */
  textColumn?: string | number;
  /** Column or key of the label (default: `label`, or column 0 without a header). */
  labelColumn?: string | number;
  /**
   * Whether the first row names the columns (TSV, CSV). Default: it does when it holds the column names
   * asked for (or `text` and `label` when none were).
   */
  header?: boolean;
  /** The file's name, for error messages. */
  source?: string;
}

/** Input that cannot become labelled texts: the message names the file, the line and the fix. */
export class LabelledDataError extends Error {
  override name = 'LabelledDataError';
}

/** The format a file name implies (`.tsv`, `.csv`, `.jsonl`/`.ndjson`), or undefined. */
export function formatOfFileName(name: string): LabelledFormat | undefined {
  const extension = /\.([^./\\]+)$/.exec(name.toLowerCase())?.[1];
  if (extension === 'tsv' || extension === 'tab') return 'tsv';
  if (extension === 'csv') return 'csv';
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  return undefined;
}

export function readLabelledTexts(content: string, options: ReadLabelledOptions): LabelledText[] {
  const source = options.source ?? 'the data';
  if (content.trim() === '') {
    throw new LabelledDataError(
      `${source} is empty: it needs one labelled text per line (${layoutHint(options.format)})`,
    );
  }
  const examples =
    options.format === 'jsonl'
      ? fromJsonLines(content, options, source)
      : fromDelimited(content, options, source);
  if (examples.length === 0) throw new LabelledDataError(`${source} holds a header but no labelled texts`);
  return examples;
}

function layoutHint(format: LabelledFormat): string {
  if (format === 'jsonl') return '{"text": …, "label": …}';
  return format === 'tsv' ? 'label<TAB>text' : 'label,text';
}

function fromDelimited(content: string, options: ReadLabelledOptions, source: string): LabelledText[] {
  const rows = readDelimited(content, options.format === 'csv' ? ',' : '\t');
  const first = rows[0]?.fields ?? [];
  const names = [options.textColumn, options.labelColumn].filter((c): c is string => typeof c === 'string');
  const header =
    options.header ??
    (names.length > 0
      ? names.every((name) => first.includes(name))
      : first.includes('text') && first.includes('label'));
  const column = (
    choice: string | number | undefined,
    fallbackName: string,
    fallbackIndex: number,
    role: string,
  ) => {
    if (typeof choice === 'number') return checkIndex(choice, role, first.length, source);
    if (!header) {
      if (choice !== undefined) {
        throw new LabelledDataError(
          `${source} has no ${role} column '${choice}': its first row is ${preview(first)} (name a column of its header, or give a 0-based index)`,
        );
      }
      return fallbackIndex;
    }
    const name = choice ?? fallbackName;
    const index = first.indexOf(name);
    if (index < 0) {
      throw new LabelledDataError(
        `${source} has no ${role} column '${name}': its columns are ${first.map((c) => `'${c}'`).join(', ')}`,
      );
    }
    return index;
  };
  const textIndex = column(options.textColumn, 'text', 1, 'text');
  const labelIndex = column(options.labelColumn, 'label', 0, 'label');
  const body = header ? rows.slice(1) : rows;
  return body.map(({ fields, line }) => {
    const needed = Math.max(textIndex, labelIndex) + 1;
    if (fields.length < needed) {
      throw new LabelledDataError(
        `${source} line ${line} has ${fields.length} field${fields.length === 1 ? '' : 's'}, but the ${labelIndex > textIndex ? 'label' : 'text'} is column ${needed - 1} (0-based): is the file ${options.format === 'csv' ? 'comma' : 'tab'}-separated?`,
      );
    }
    return checked({ text: fields[textIndex] as string, label: fields[labelIndex] as string }, line, source);
  });
}

function fromJsonLines(content: string, options: ReadLabelledOptions, source: string): LabelledText[] {
  const textKey = String(options.textColumn ?? 'text');
  const labelKey = String(options.labelColumn ?? 'label');
  const examples: LabelledText[] = [];
  content.split(/\r?\n/).forEach((lineText, index) => {
    const line = index + 1;
    if (lineText.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (error) {
      throw new LabelledDataError(`${source} line ${line} is not valid JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new LabelledDataError(
        `${source} line ${line} is not a JSON object with "${textKey}" and "${labelKey}"`,
      );
    }
    const record = value as Record<string, unknown>;
    for (const [key, role] of [
      [labelKey, 'label'],
      [textKey, 'text'],
    ] as const) {
      if (!Object.hasOwn(record, key)) {
        throw new LabelledDataError(
          `${source} line ${line} has no ${role} key '${key}': its keys are ${Object.keys(record)
            .map((k) => `'${k}'`)
            .join(', ')}`,
        );
      }
    }
    const text = record[textKey];
    const label = record[labelKey];
    if (typeof text !== 'string')
      throw new LabelledDataError(`${source} line ${line}: "${textKey}" must be a string`);
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
      throw new LabelledDataError(
        `${source} line ${line}: "${labelKey}" must be a string, number or boolean`,
      );
    }
    examples.push(checked({ text, label: String(label) }, line, source));
  });
  return examples;
}

/** Labels are trimmed: "ham " and "ham" are one class, as a reader of the file sees them. */
function checked(example: LabelledText, line: number, source: string): LabelledText {
  const label = example.label.trim();
  if (label === '') throw new LabelledDataError(`${source} line ${line} has an empty label`);
  if (example.text === '') throw new LabelledDataError(`${source} line ${line} has an empty text`);
  return { text: example.text, label };
}

function checkIndex(index: number, role: string, columns: number, source: string): number {
  if (!Number.isInteger(index) || index < 0) {
    throw new LabelledDataError(`The ${role} column must be a name or a 0-based index, got ${index}`);
  }
  if (index >= columns) {
    throw new LabelledDataError(
      `${source} has no ${role} column ${index}: its rows have ${columns} column${columns === 1 ? '' : 's'} (0-based indexes 0 to ${columns - 1})`,
    );
  }
  return index;
}

function preview(fields: string[]): string {
  return fields
    .map((field) => JSON.stringify(field.length > 20 ? `${field.slice(0, 20)}…` : field))
    .join(', ');
}

/**
 * The labelled data of `classify train` and `classify eval`: the flags that say how to read and split
 * a file, and the file cut into batches by @scratchgpt/classifier's one pipeline. What is wrong with
 * the file is one line naming it.
 */
import {
  type ClassificationData,
  formatOfFileName,
  LabelledDataError,
  type LabelledFormat,
  prepareClassificationData,
} from '@scratchgpt/classifier';
import { type FlagSpec, numberFlag, stringFlag, type Values } from '../../args.js';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { readText, smsDataPath } from '../../data.js';
import { CommandError, UsageError } from '../../errors.js';
import { gpt2 } from '../../text-helpers.js';

export const dataFlags = {
  data: { type: 'string' },
  format: { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
  header: { type: 'boolean' },
  'no-header': { type: 'boolean' },
  'no-balance': { type: 'boolean' },
  'val-ratio': { type: 'string' },
  'test-ratio': { type: 'string' },
  'batch-size': { type: 'string' },
} as const satisfies FlagSpec;

export const dataHelp = `Data (read and split the same way by train and eval):
  --data FILE            labelled texts (default: the bundled SMS Spam Collection)
  --format tsv|csv|jsonl how to read it (default: from its extension, else tsv). TSV and CSV fields
                         are quoted as pandas reads them; JSON lines hold one object per line
  --text-column C        the text's column: a header name or a 0-based index (JSON: a key);
                         default "text", or column 1 without a header
  --label-column C       the label's column (default "label", or column 0 without a header)
  --header | --no-header whether the first row names the columns (default: detected)
  --no-balance           keep every text (default: every class undersampled to the smallest, seeded)
  --val-ratio R          share held out for validation (default 0.1)
  --test-ratio R         share held out for testing (default 0.2; training gets the rest)
  --batch-size B         texts per batch (default 8)`;

/** The data settings the flags ask for; `undefined` where a flag was not given. */
export function requestedData(values: Values): Partial<ClassifyRunSettings> {
  const header = values.header === true ? true : values['no-header'] === true ? false : undefined;
  if (values.header === true && values['no-header'] === true)
    throw new UsageError('give --header or --no-header, not both');
  const format = stringFlag(values, 'format');
  if (format !== undefined && format !== 'tsv' && format !== 'csv' && format !== 'jsonl') {
    throw new UsageError(`--format must be tsv, csv or jsonl, got '${format}'`);
  }
  const requested = {
    data: stringFlag(values, 'data'),
    format: format as LabelledFormat | undefined,
    textColumn: columnFlag(values, 'text-column'),
    labelColumn: columnFlag(values, 'label-column'),
    header,
    balance: values['no-balance'] === true ? false : undefined,
    valRatio: numberFlag(values, 'val-ratio', { min: 0, max: 0.9 }),
    testRatio: numberFlag(values, 'test-ratio', { min: 0, max: 0.9 }),
    batchSize: numberFlag(values, 'batch-size', { integer: true, min: 1 }),
  };
  return Object.fromEntries(
    Object.entries(requested).filter(([, value]) => value !== undefined),
  ) as Partial<ClassifyRunSettings>;
}

/** The settings of a new run: what was asked, the defaults for the rest. */
export function dataSettings(
  requested: Partial<ClassifyRunSettings>,
  seed: number,
): Omit<ClassifyRunSettings, 'maxLength' | 'base'> {
  const data = requested.data ?? smsDataPath();
  const settings = {
    data,
    format: requested.format ?? formatOfFileName(data) ?? 'tsv',
    textColumn: requested.textColumn ?? null,
    labelColumn: requested.labelColumn ?? null,
    header: requested.header ?? null,
    balance: requested.balance ?? true,
    valRatio: requested.valRatio ?? 0.1,
    testRatio: requested.testRatio ?? 0.2,
    batchSize: requested.batchSize ?? 8,
    seed,
  };
  if (settings.valRatio + settings.testRatio >= 1) {
    throw new UsageError(
      `--val-ratio ${settings.valRatio} and --test-ratio ${settings.testRatio} leave nothing to train on`,
    );
  }
  return settings;
}

/** Reads and splits the file; `classes` and `maxLength` pin what a trained classifier expects. */
export async function loadClassificationData(
  settings: Omit<ClassifyRunSettings, 'maxLength' | 'base'>,
  options: { contextLength: number; maxLength?: number | undefined; classes?: readonly string[] | undefined },
): Promise<ClassificationData> {
  const content = await readText(settings.data);
  try {
    return prepareClassificationData(content, {
      format: settings.format,
      tokenizer: gpt2(),
      source: settings.data,
      ...(settings.textColumn !== null ? { textColumn: settings.textColumn } : {}),
      ...(settings.labelColumn !== null ? { labelColumn: settings.labelColumn } : {}),
      ...(settings.header !== null ? { header: settings.header } : {}),
      ...(options.classes ? { classes: options.classes } : {}),
      balance: settings.balance,
      seed: settings.seed,
      // Rounded so that 1 − 0.1 − 0.2 is the book's 0.7, not 0.7000000000000001.
      trainRatio: Math.round((1 - settings.valRatio - settings.testRatio) * 1e12) / 1e12,
      validationRatio: settings.valRatio,
      batchSize: settings.batchSize,
      contextLength: options.contextLength,
      ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
    });
  } catch (error) {
    if (error instanceof LabelledDataError) {
      const hint = error.message.includes('maximum length of at most') ? ' (--max-length N)' : '';
      throw new CommandError(`${error.message}${hint}`);
    }
    throw error;
  }
}

function columnFlag(values: Values, name: string): string | number | undefined {
  const value = stringFlag(values, name);
  if (value === undefined) return undefined;
  if (value === '') throw new UsageError(`--${name} needs a column name or a 0-based index`);
  return /^\d+$/.test(value) ? Number(value) : value;
}

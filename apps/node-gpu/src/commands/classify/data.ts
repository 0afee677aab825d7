/**
 * The labelled data of `classify train` and `classify eval`: the flags that say how to read and split
 * a file, and the file cut into batches by @scratchgpt/classifier's one pipeline. What is wrong with
 * the file is one line naming it.
 */
import {
  type ClassificationData,
  formatOfFileName,
  LabelledDataError,
  prepareClassificationData,
} from '@scratchgpt/classifier';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import type { Flags, FlagValues } from '../../args.js';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { readText, smsDataPath } from '../../data.js';
import { CommandError, UsageError } from '../../errors.js';

export const dataFlags = {
  data: {
    type: 'string',
    value: 'FILE',
    section: 'Data (read and split the same way by train and eval)',
    defaultText: 'the bundled SMS Spam Collection',
    help: 'labelled texts',
  },
  format: {
    type: 'string',
    choices: ['tsv', 'csv', 'jsonl'],
    defaultText: 'from its extension, else tsv',
    help: 'how to read it: TSV and CSV fields are quoted as pandas reads them; JSON lines hold one object per line',
  },
  'text-column': {
    type: 'string',
    value: 'C',
    defaultText: '"text", or column 1 without a header',
    help: "the text's column: a header name or a 0-based index; in JSON lines, a key",
  },
  'label-column': {
    type: 'string',
    value: 'C',
    defaultText: '"label", or column 0 without a header',
    help: "the label's column",
  },
  header: { type: 'boolean', help: 'the first row names the columns (default: detected)' },
  'no-header': { type: 'boolean', help: 'the first row is data (default: detected)' },
  'no-balance': {
    type: 'boolean',
    help: 'keep every text (default: every class undersampled to the smallest, seeded)',
  },
  'val-ratio': {
    type: 'number',
    value: 'R',
    min: 0,
    max: 0.9,
    defaultText: '0.1',
    help: 'share held out for validation',
  },
  'test-ratio': {
    type: 'number',
    value: 'R',
    min: 0,
    max: 0.9,
    defaultText: '0.2',
    help: 'share held out for testing; training gets the rest',
  },
  'split-seed': {
    type: 'integer',
    value: 'N',
    min: 0,
    defaultText: '--seed',
    help: "seeds the balancing and the split alone; --seed then seeds the batch order and the new weights (--split-seed 123 keeps the book's split)",
  },
  'batch-size': { type: 'integer', value: 'B', min: 1, defaultText: '8', help: 'texts per batch' },
} as const satisfies Flags;

/** The data settings the flags ask for; `undefined` where a flag was not given. */
export function requestedData(values: FlagValues<typeof dataFlags>): Partial<ClassifyRunSettings> {
  const header = values.header ? true : values['no-header'] ? false : undefined;
  if (values.header && values['no-header']) throw new UsageError('give --header or --no-header, not both');
  const requested = {
    data: values.data,
    format: values.format,
    textColumn: columnFlag(values['text-column'], 'text-column'),
    labelColumn: columnFlag(values['label-column'], 'label-column'),
    header,
    balance: values['no-balance'] ? false : undefined,
    valRatio: values['val-ratio'],
    testRatio: values['test-ratio'],
    splitSeed: values['split-seed'],
    batchSize: values['batch-size'],
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
    splitSeed: requested.splitSeed ?? seed,
    recompute: requested.recompute ?? 'none',
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
  options: {
    /** The model's: GPT-2's for a GPT, an open family's own tokenizer.json. */
    tokenizer: Tokenizer;
    contextLength: number;
    maxLength?: number | undefined;
    classes?: readonly string[] | undefined;
  },
): Promise<ClassificationData> {
  const content = await readText(settings.data);
  try {
    return prepareClassificationData(content, {
      format: settings.format,
      tokenizer: options.tokenizer,
      source: settings.data,
      ...(settings.textColumn !== null ? { textColumn: settings.textColumn } : {}),
      ...(settings.labelColumn !== null ? { labelColumn: settings.labelColumn } : {}),
      ...(settings.header !== null ? { header: settings.header } : {}),
      ...(options.classes ? { classes: options.classes } : {}),
      balance: settings.balance,
      seed: settings.seed,
      splitSeed: settings.splitSeed,
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

function columnFlag(value: string | undefined, name: string): string | number | undefined {
  if (value === undefined) return undefined;
  if (value === '') throw new UsageError(`--${name} needs a column name or a 0-based index`);
  return /^\d+$/.test(value) ? Number(value) : value;
}

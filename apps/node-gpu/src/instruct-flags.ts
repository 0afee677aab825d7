/** How `instruct train` and `instruct dpo` batch their entries: the same flags, read the same way. */
import type { Flags } from './args.js';

export const instructBatchFlags = {
  context: {
    type: 'integer',
    value: 'N',
    min: 1,
    defaultText: "the model's context length, which is also the most",
    help: "cut longer examples to N tokens, the book's allowed_max_length",
  },
  'batch-size': { type: 'integer', value: 'B', min: 1, defaultText: '8', help: 'entries per batch' },
  'no-shuffle': {
    type: 'boolean',
    help: 'train on the entries in file order (default: shuffled, seeded by --seed)',
  },
} as const satisfies Flags;

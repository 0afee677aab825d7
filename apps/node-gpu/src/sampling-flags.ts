/** How `generate` and `chat` pick each next token: greedy by default, else sampled. */
import type { Flags } from './args.js';

export const samplingFlags = {
  temperature: {
    type: 'number',
    value: 'T',
    min: 0,
    default: 0,
    help: '0 picks the most likely token; higher is more varied',
  },
  'top-k': { type: 'integer', value: 'K', min: 1, help: 'sample only from the K most likely tokens' },
  'top-p': {
    type: 'number',
    value: 'P',
    min: 0,
    exclusiveMin: true,
    max: 1,
    help: 'sample only from the smallest set of most likely tokens whose probabilities reach P',
  },
} as const satisfies Flags;

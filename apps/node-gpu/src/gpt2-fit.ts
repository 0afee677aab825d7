/**
 * Which GPT-2 sizes fit the backend in use, for `info`: generation, and training at the book's
 * chapter 5 shape with one window per micro-batch (context 256, batch 1).
 */
import { gpt2SizesThatFit } from '@scratchgpt/gpt-model';
import { currentBackend } from '@scratchgpt/tensor';
import { memoryBudget } from './model-source.js';

export const TRAIN_SHAPE = { batchSize: 1, contextLength: 256 } as const;

export interface Gpt2Fit {
  /** The ceiling checked against, or null where the backend reports none. */
  ceiling: string | null;
  /** The device's largest buffer, where it reports one (WebGPU); big tables are sharded below it. */
  maxBufferBytes: number | null;
  generate: string[];
  train: string[];
}

export function gpt2Fit(): Gpt2Fit {
  const budget = memoryBudget();
  return {
    ceiling: budget?.description ?? null,
    maxBufferBytes: currentBackend()?.limits.maxBufferBytes ?? null,
    generate: gpt2SizesThatFit('generate', budget),
    train: gpt2SizesThatFit('train', budget, TRAIN_SHAPE),
  };
}

export function describeGpt2Fit(fit: Gpt2Fit): string {
  if (fit.ceiling === null) {
    const buffer =
      fit.maxBufferBytes === null
        ? ''
        : ` (only a largest buffer, ${Math.round(fit.maxBufferBytes / 2 ** 20)} MiB: tables are sharded below it)`;
    return `GPT-2: the device reports no total memory${buffer}; every size is tried`;
  }
  const list = (sizes: string[]) => (sizes.length === 0 ? 'none' : sizes.join(', '));
  return `GPT-2 within ${fit.ceiling}: generate ${list(fit.generate)}; train (batch 1, context 256) ${list(fit.train)}`;
}

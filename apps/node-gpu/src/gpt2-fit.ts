/**
 * Which GPT-2 sizes fit the backend in use, for `info`: generation over the whole context, and
 * training at the book's chapter 5 shape with one window per micro-batch (context 256, batch 1). GPT-2
 * as published: query/key/value biases, the head tied to the token embedding.
 */
import {
  countParameters,
  estimateMemory,
  type GPTConfig,
  type MemoryUse,
  presets,
} from '@scratchgpt/gpt-model';
import { currentBackend, memoryBudgetBytes } from '@scratchgpt/tensor';
import { preferredMomentsLocation } from '@scratchgpt/trainer';

const sizes = ['gpt2-small', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'] as const;

export interface Gpt2Fit {
  /** The ceiling checked against in bytes (wasm's heap), or null where the backend reports none. */
  ceilingBytes: number | null;
  /** The device's largest buffer, where it reports one (WebGPU); big tables are sharded below it. */
  maxBufferBytes: number | null;
  generate: string[];
  train: string[];
}

export function gpt2Fit(): Gpt2Fit {
  const budget = memoryBudgetBytes();
  const fitting = (use: Omit<MemoryUse, 'hostMoments'>) =>
    sizes.filter((size) => {
      const config: GPTConfig = { ...presets[size], qkvBias: true, tieWeights: true };
      const hostMoments = use.training && preferredMomentsLocation(countParameters(config).total) === 'host';
      return budget === null || estimateMemory(config, { ...use, hostMoments }).totalBytes <= budget;
    });
  return {
    ceilingBytes: budget,
    maxBufferBytes: currentBackend()?.limits.maxBufferBytes ?? null,
    generate: fitting({ batchSize: 1, tokens: 1024, training: false }),
    train: fitting({ batchSize: 1, tokens: 256, training: true }),
  };
}

/** A backend with no known ceiling: every size is tried. */
export function withoutCeiling(): Gpt2Fit {
  return { ceilingBytes: null, maxBufferBytes: null, generate: [...sizes], train: [...sizes] };
}

export function describeGpt2Fit(fit: Gpt2Fit): string {
  if (fit.ceilingBytes === null) {
    const buffer =
      fit.maxBufferBytes === null
        ? ''
        : ` (only a largest buffer, ${Math.round(fit.maxBufferBytes / 2 ** 20)} MiB: tables are sharded below it)`;
    return `GPT-2: no memory ceiling is known here${buffer}; every size is tried`;
  }
  const list = (found: string[]) => (found.length === 0 ? 'none' : found.join(', '));
  return `GPT-2 within its ${fit.ceilingBytes / 2 ** 30} GiB: generate ${list(fit.generate)}; train (batch 1, context 256) ${list(fit.train)}`;
}

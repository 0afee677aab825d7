import {
  assertFitsMemory,
  countParameters,
  type GPTConfig,
  MemoryBudgetError,
  type MemoryUse,
} from '@scratchgpt/gpt-model';
import { preferredMomentsLocation } from '@scratchgpt/trainer';
import { CommandError } from './errors.js';

/** Refuses, before any weight is allocated, a model the backend cannot hold; says what would fit. */
export function checkMemory(config: GPTConfig, use: Omit<MemoryUse, 'hostMoments'>, what?: string): void {
  const hostMoments = use.training && preferredMomentsLocation(countParameters(config).total) === 'host';
  try {
    assertFitsMemory(config, { ...use, hostMoments }, what);
  } catch (error) {
    if (error instanceof MemoryBudgetError) {
      const recompute = error.fitsWithRecompute ? '; --recompute blocks makes it fit' : '';
      throw new CommandError(`${error.message}${recompute}`);
    }
    throw error;
  }
}

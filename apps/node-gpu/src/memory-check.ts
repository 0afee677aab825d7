import {
  assertFitsMemory,
  countParameters,
  type GPTConfig,
  MemoryBudgetError,
  type MemoryRemedy,
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
    if (error instanceof MemoryBudgetError)
      throw new CommandError(`${error.message}${remedyText(error.fitsWith, use.training)}`);
    throw error;
  }
}

const FLAG_OF: Record<MemoryRemedy, string> = {
  recompute: '--recompute blocks',
  'half-base': '--precision bf16',
  'half-base+recompute': '--precision bf16 with --recompute blocks',
};

/**
 * The refusal's last words: the flags that would make a run fit, each alone where one does, else
 * together (`--precision bf16` fits by storing weights in 16 bits: in training, the frozen model's
 * under LoRA; in generate, chat and serve, the model's as it loads).
 */
export function remedyText(fitsWith: readonly MemoryRemedy[], training = true): string {
  if (fitsWith.length === 0) return '';
  const flags = fitsWith.map((remedy) => FLAG_OF[remedy]).join(' or ');
  const stores = training
    ? " (under --lora-rank it stores the frozen model's weights in 16 bits)"
    : ' (it stores the weights in 16 bits as they load)';
  const halfBase = fitsWith.some((remedy) => remedy !== 'recompute') ? stores : '';
  return `; ${flags} makes it fit${halfBase}`;
}

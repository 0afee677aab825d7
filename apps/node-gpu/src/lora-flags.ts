/**
 * `--lora-rank R [--lora-alpha A] [--lora-scaling rank|alpha]`, read the same way by every command
 * that fine-tunes (appendix E): the model is frozen and rank-R updates of every Linear train instead.
 */
import type { LoRASettings } from '@scratchgpt/lora';
import { type FlagSpec, numberFlag, stringFlag, type Values } from './args.js';
import { UsageError } from './errors.js';

export const loraFlags = {
  'lora-rank': { type: 'string' },
  'lora-alpha': { type: 'string' },
  'lora-scaling': { type: 'string' },
} as const satisfies FlagSpec;

/** The LoRA settings asked for, or undefined without --lora-rank. */
export function readLoRAFlags(values: Values): LoRASettings | undefined {
  const rank = numberFlag(values, 'lora-rank', { integer: true, min: 1 });
  const alpha = numberFlag(values, 'lora-alpha', { min: 0, exclusiveMin: true });
  const scaling = stringFlag(values, 'lora-scaling');
  if (rank === undefined && (alpha !== undefined || scaling !== undefined)) {
    throw new UsageError('--lora-alpha and --lora-scaling need --lora-rank R');
  }
  if (scaling !== undefined && scaling !== 'rank' && scaling !== 'alpha') {
    throw new UsageError(`--lora-scaling must be rank (alpha / rank) or alpha, got '${scaling}'`);
  }
  if (rank === undefined) return undefined;
  return { rank, alpha: alpha ?? rank, scaling: scaling ?? 'rank' };
}

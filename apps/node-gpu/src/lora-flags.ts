/**
 * `--lora-rank R [--lora-alpha A] [--lora-scaling rank|alpha]`, read the same way by every command
 * that fine-tunes (appendix E): the model is frozen and rank-R updates of every Linear train instead.
 */
import type { GPTConfig } from '@scratchgpt/gpt-model';
import type { LoRASettings } from '@scratchgpt/lora';
import type { Flags, FlagValues } from './args.js';
import { UsageError } from './errors.js';

/** The LoRA flags, under the help's heading "LoRA"; `rank` says what the rank-R updates train. */
export function loraFlags(rank: string) {
  return {
    'lora-rank': { type: 'integer', value: 'R', min: 1, section: 'LoRA (appendix E)', help: rank },
    'lora-alpha': {
      type: 'number',
      value: 'A',
      min: 0,
      exclusiveMin: true,
      defaultText: 'the rank',
      help: "LoRA's alpha",
    },
    'lora-scaling': {
      type: 'string',
      choices: ['rank', 'alpha'],
      defaultText: 'rank',
      help: "scale LoRA's updates by alpha / rank, or by alpha as the book's printed code does",
    },
  } as const satisfies Flags;
}

/** The LoRA settings asked for, or undefined without --lora-rank. */
export function readLoRAFlags(values: FlagValues<ReturnType<typeof loraFlags>>): LoRASettings | undefined {
  const { 'lora-rank': rank, 'lora-alpha': alpha, 'lora-scaling': scaling } = values;
  if (rank === undefined && (alpha !== undefined || scaling !== undefined)) {
    throw new UsageError('--lora-alpha and --lora-scaling need --lora-rank R');
  }
  if (rank === undefined) return undefined;
  return { rank, alpha: alpha ?? rank, scaling: scaling ?? 'rank' };
}

/**
 * Refuses, before the model is loaded, a rank above what its layers take: the package's bound (each
 * layer's larger side) is the model's width for every GPT, the attention projections being square.
 */
export function checkLoRARank(
  lora: LoRASettings | null | undefined,
  config: Pick<GPTConfig, 'embDim'>,
): void {
  if (lora && lora.rank > config.embDim) {
    throw new UsageError(
      `--lora-rank ${lora.rank} is above what this model takes: at most ${config.embDim}, its width (emb_dim); ranks of 8 to 64 are usual`,
    );
  }
}

/**
 * LoRA's trainable parameters on a GPT of `config` at `rank`, for the memory check: (in + out) · rank
 * for each Linear (four attention projections, two feed-forward layers a block), and the head
 * (`headOutputs` wide: the vocabulary, or a classifier's classes).
 */
export function loraParameters(config: GPTConfig, rank: number, headOutputs = config.vocabSize): number {
  const e = config.embDim;
  const sidesPerBlock = 4 * (e + e) + 2 * (e + 4 * e);
  return (config.nLayers * sidesPerBlock + e + headOutputs) * rank;
}

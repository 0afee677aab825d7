/**
 * What an instruction-tuning run records beside the text run's settings (`checkpoint.json`'s
 * `instruct`), so it resumes on the same batches and its checkpoints are prompted the same way.
 */
import { CHAT_TEMPLATE, isPromptFormatName, type PromptFormatName } from '@scratchgpt/instruct';
import type { LoRASettings } from '@scratchgpt/lora';

/** A fixed format, or `chat-template`: the one the model's tokenizer_config.json holds. */
export type RunPromptFormat = PromptFormatName | typeof CHAT_TEMPLATE;

export interface InstructRunSettings {
  /** How entries were turned into text: `respond` and `chat` use it too. */
  promptFormat: RunPromptFormat;
  /** The prompt's targets were ignored: only responses were learned. */
  maskPrompt: boolean;
  /** Entries of similar length were batched together. */
  bucketByLength: boolean;
  /** LoRA trained (the base weights stayed frozen): its checkpoints carry adapter.safetensors. */
  lora?: LoRASettings;
}

/** Checks the manifest's `instruct` field; `fail` names the field that is wrong. */
export function parseInstructSettings(value: unknown, fail: (problem: string) => never): InstructRunSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(`"instruct" must be an object`);
  const record = value as Record<string, unknown>;
  const format = record.promptFormat;
  if (typeof format !== 'string' || !(isPromptFormatName(format) || format === CHAT_TEMPLATE))
    fail(`"instruct.promptFormat" must be "alpaca", "phi3" or "${CHAT_TEMPLATE}"`);
  for (const flag of ['maskPrompt', 'bucketByLength'] as const) {
    if (typeof record[flag] !== 'boolean') fail(`"instruct.${flag}" must be true or false`);
  }
  const settings: InstructRunSettings = {
    promptFormat: format as RunPromptFormat,
    maskPrompt: record.maskPrompt as boolean,
    bucketByLength: record.bucketByLength as boolean,
  };
  if (record.lora !== undefined) settings.lora = parseLoRA(record.lora, fail);
  return settings;
}

function parseLoRA(value: unknown, fail: (problem: string) => never): LoRASettings {
  const lora = (value ?? {}) as Record<string, unknown>;
  const { rank, alpha, scaling } = lora;
  if (!Number.isSafeInteger(rank) || (rank as number) < 1)
    fail(`"instruct.lora.rank" must be an integer ≥ 1`);
  if (typeof alpha !== 'number' || !(alpha > 0)) fail(`"instruct.lora.alpha" must be a number > 0`);
  if (scaling !== 'rank' && scaling !== 'alpha') fail(`"instruct.lora.scaling" must be "rank" or "alpha"`);
  return { rank: rank as number, alpha: alpha as number, scaling: scaling as LoRASettings['scaling'] };
}

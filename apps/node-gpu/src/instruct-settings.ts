/**
 * What an instruction-tuning run records beside the text run's settings (`checkpoint.json`'s
 * `instruct`), so it resumes on the same batches and its checkpoints are prompted the same way.
 */
import { isPromptFormatName, type PromptFormatName } from '@scratchgpt/instruct';

export interface InstructRunSettings {
  /** How entries were turned into text: `respond` and `chat` use it too. */
  promptFormat: PromptFormatName;
  /** The prompt's targets were ignored: only responses were learned. */
  maskPrompt: boolean;
  /** Entries of similar length were batched together. */
  bucketByLength: boolean;
}

/** Checks the manifest's `instruct` field; `fail` names the field that is wrong. */
export function parseInstructSettings(value: unknown, fail: (problem: string) => never): InstructRunSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(`"instruct" must be an object`);
  const record = value as Record<string, unknown>;
  const format = record.promptFormat;
  if (typeof format !== 'string' || !isPromptFormatName(format))
    fail(`"instruct.promptFormat" must be "alpaca" or "phi3"`);
  for (const flag of ['maskPrompt', 'bucketByLength'] as const) {
    if (typeof record[flag] !== 'boolean') fail(`"instruct.${flag}" must be true or false`);
  }
  return {
    promptFormat: format as PromptFormatName,
    maskPrompt: record.maskPrompt as boolean,
    bucketByLength: record.bucketByLength as boolean,
  };
}

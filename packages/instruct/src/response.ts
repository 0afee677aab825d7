/**
 * Answers to instructions, as the book generates them for its test set: greedy decoding from the
 * prompt, at most 256 new tokens, stopping at the end-of-text id; the answer is the text after the
 * prompt with the response header removed and the whitespace around it stripped.
 */
import { type GPTModel, generate } from '@scratchgpt/gpt-model';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { END_OF_TEXT_ID } from './collate.js';
import type { InstructionEntry } from './entry.js';
import type { PromptFormat } from './prompt-format.js';

/** The book's extraction: what follows `promptText`, without the response header, stripped. */
export function extractResponse(format: PromptFormat, generatedText: string, promptText: string): string {
  return generatedText.slice(promptText.length).replaceAll(format.responseMarker, '').trim();
}

export interface RespondOptions {
  tokenizer: Tokenizer;
  format: PromptFormat;
  /** Default 256, the book's. */
  maxNewTokens?: number;
  /** Default 50256. */
  eosId?: number;
  signal?: AbortSignal;
}

export interface Response {
  response: string;
  /** New token ids, the end-of-text id included when the model produced it. */
  tokenIds: number[];
  /** Whether the answer ended at the end-of-text id, or ran into the token limit (or was stopped). */
  ended: 'end-of-text' | 'token-limit' | 'stopped';
}

export async function respond(
  model: GPTModel,
  entry: InstructionEntry,
  options: RespondOptions,
): Promise<Response> {
  const { tokenizer, format } = options;
  const eosId = options.eosId ?? END_OF_TEXT_ID;
  const maxNewTokens = options.maxNewTokens ?? 256;
  const promptText = format.prompt(entry);
  const promptIds = tokenizer.encode(promptText);
  const tokenIds = await generate(model, promptIds, {
    maxNewTokens,
    eosId,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const ended =
    tokenIds.at(-1) === eosId ? 'end-of-text' : tokenIds.length >= maxNewTokens ? 'token-limit' : 'stopped';
  const text = tokenizer.decode([...promptIds, ...tokenIds.filter((id) => id !== eosId)]);
  return { response: extractResponse(format, text, promptText), tokenIds, ended };
}

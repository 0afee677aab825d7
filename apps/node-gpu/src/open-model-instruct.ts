/**
 * Instructions for the open families (Qwen3, Llama 3.2, Gemma 3): the prompt format (the model's own
 * chat template by default, else the book's Alpaca or Phi-3), the ids that end and pad an example,
 * and greedy answers that stop where the format's answers end.
 *
 * A chat template writes special tokens into the text (`<|im_start|>`, Llama 3's BOS), so prompts are
 * encoded with every special token allowed; entries holding one in their own text are refused first,
 * so no entry can end its example early or forge a turn.
 */

import { generate } from '@scratchgpt/gpt-model';
import {
  CHAT_TEMPLATE,
  chatTemplateFormat,
  type InstructionEntry,
  type PromptFormat,
  promptFormat,
} from '@scratchgpt/instruct';
import type { DecoderModel } from '@scratchgpt/open-models';
import type { HFTokenizer, Tokenizer } from '@scratchgpt/tokenizer';
import { CommandError, UsageError } from './errors.js';
import type { RunPromptFormat } from './instruct-settings.js';

/** A format, with the ids an example ends and is padded with, and how prompts become ids. */
export interface OpenInstructionFormat {
  format: PromptFormat;
  endTokenId: number;
  padTokenId: number;
  /** Encodes prompts and training texts (special tokens allowed; BOS first for the fixed formats). */
  tokenizer: Tokenizer;
  /** Refuses entries whose text holds a special token. */
  check: (entries: readonly InstructionEntry[]) => void;
}

/** `--format`, else the run's, else `chat-template` where the tokenizer has one, else alpaca. */
export function openFormatName(
  requested: string | undefined,
  saved: RunPromptFormat | undefined,
  tokenizer: HFTokenizer,
): RunPromptFormat {
  const name = requested ?? saved ?? (hasChatTemplate(tokenizer) ? CHAT_TEMPLATE : 'alpaca');
  if (name !== CHAT_TEMPLATE && name !== 'alpaca' && name !== 'phi3') {
    throw new UsageError(`--format must be alpaca, phi3 or ${CHAT_TEMPLATE}, got '${name}'`);
  }
  return name;
}

function hasChatTemplate(tokenizer: HFTokenizer): boolean {
  const template = tokenizer.config?.chat_template;
  return template !== undefined && template !== null;
}

export function openInstructionFormat(name: RunPromptFormat, tokenizer: HFTokenizer): OpenInstructionFormat {
  let format: PromptFormat;
  let endTokenId: number | null;
  if (name === CHAT_TEMPLATE) {
    let chat: ReturnType<typeof chatTemplateFormat>;
    try {
      chat = chatTemplateFormat(tokenizer);
    } catch (error) {
      throw new CommandError(`--format ${CHAT_TEMPLATE}: ${(error as Error).message}`);
    }
    format = chat;
    endTokenId = tokenizer.specialTokens.get(chat.endOfTurn) ?? null;
    if (endTokenId === null) {
      throw new CommandError(
        `--format ${CHAT_TEMPLATE}: the template ends an answer with ${JSON.stringify(chat.endOfTurn)}, which is not one special token of the tokenizer: use --format alpaca or phi3`,
      );
    }
  } else {
    format = promptFormat(name);
    endTokenId = tokenizer.eosId;
    if (endTokenId === null) {
      throw new CommandError(
        `--format ${name}: the tokenizer names no eos_token (tokenizer_config.json) to end each answer with`,
      );
    }
  }
  // As the book pads with its end id where the tokenizer names no padding.
  const padTokenId = tokenizer.padId ?? endTokenId;
  const bos = name !== CHAT_TEMPLATE && tokenizer.bosId !== null ? [tokenizer.bosId] : [];
  const encoding: Tokenizer = {
    name: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    specialTokens: tokenizer.specialTokens,
    decode: (ids) => tokenizer.decode(ids),
    encode: (text) => [...bos, ...tokenizer.encode(text, { allowedSpecial: 'all' })],
  };
  const check = (entries: readonly InstructionEntry[]) => {
    const specials = [...tokenizer.specialTokens.keys()].filter((token) => token !== '');
    entries.forEach((entry, index) => {
      for (const field of ['instruction', 'input', 'output'] as const) {
        const found = specials.find((token) => entry[field].includes(token));
        if (found !== undefined) {
          throw new CommandError(
            `entry ${index}: its ${field} holds the special token ${found}, which would be read as the model's own: remove it from the data`,
          );
        }
      }
    });
  };
  return { format, endTokenId, padTokenId, tokenizer: encoding, check };
}

export interface OpenAnswer {
  response: string;
  tokenIds: number[];
  ended: 'end-of-text' | 'token-limit';
}

/**
 * The model's greedy answer to an entry: the prompt and the response header in, at most
 * `maxNewTokens` (within the model's context) out, stopping at the end id.
 */
export async function openRespond(
  model: DecoderModel,
  entry: InstructionEntry,
  instruction: OpenInstructionFormat,
  maxNewTokens: number,
): Promise<OpenAnswer> {
  const { format, tokenizer, endTokenId } = instruction;
  const promptIds = tokenizer.encode(format.prompt(entry) + format.responseHeader);
  const room = Math.min(maxNewTokens, model.config.contextLength - promptIds.length);
  if (room < 1) {
    throw new CommandError(
      `a prompt of ${promptIds.length} tokens leaves no room in this ${model.config.family} model's context of ${model.config.contextLength}`,
    );
  }
  const generated = await generate(model, promptIds, { maxNewTokens: room, eosId: endTokenId });
  const end = generated.indexOf(endTokenId);
  const tokenIds = end === -1 ? generated : generated.slice(0, end + 1);
  const answerIds = end === -1 ? generated : generated.slice(0, end);
  return {
    response: tokenizer.decode(answerIds).trim(),
    tokenIds,
    ended: end === -1 ? 'token-limit' : 'end-of-text',
  };
}

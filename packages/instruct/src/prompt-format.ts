/**
 * How an instruction becomes text a GPT reads: the book's Alpaca-style prompt, and the Phi-3 style of
 * the chapter's first exercise. A format also says how a conversation of several turns reads, and
 * how to cut the model's answer out of what it generated.
 */
import type { InstructionEntry } from './entry.js';

export type PromptFormatName = 'alpaca' | 'phi3';

/** A past exchange of a conversation. */
export interface ChatTurn {
  user: string;
  assistant: string;
}

export interface PromptFormat {
  /** A fixed format's name, or `chat-template` for one read from a model's tokenizer_config.json. */
  readonly name: PromptFormatName | 'chat-template';
  /** The instruction and its input, without the response (the book's `format_input`). */
  prompt(entry: Pick<InstructionEntry, 'instruction' | 'input'>): string;
  /** What follows the prompt: this header, then the output. */
  readonly responseHeader: string;
  /** The header as the book removes it from a generated answer. */
  readonly responseMarker: string;
  /** A conversation: the past turns, then `message` and the header the answer starts after. */
  conversation(turns: readonly ChatTurn[], message: string): string;
}

/** The prompt followed by the expected output: what instruction fine-tuning trains on. */
export function trainingText(format: PromptFormat, entry: InstructionEntry): string {
  return format.prompt(entry) + format.responseHeader + entry.output;
}

const ALPACA_PREAMBLE =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

export const alpaca: PromptFormat = {
  name: 'alpaca',
  prompt: ({ instruction, input }) =>
    `${ALPACA_PREAMBLE}\n\n### Instruction:\n${instruction}${input ? `\n\n### Input:\n${input}` : ''}`,
  responseHeader: '\n\n### Response:\n',
  responseMarker: '### Response:',
  // One preamble, then each turn as an instruction and its response.
  conversation: (turns, message) =>
    ALPACA_PREAMBLE +
    [...turns, { user: message, assistant: '' }]
      .map(({ user, assistant }) => `\n\n### Instruction:\n${user}\n\n### Response:\n${assistant}`)
      .join(''),
};

export const phi3: PromptFormat = {
  name: 'phi3',
  prompt: ({ instruction, input }) => `<|user|>\n${instruction}${input ? `\n${input}` : ''}`,
  responseHeader: '\n<|assistant|>:\n',
  responseMarker: '<|assistant|>:',
  conversation: (turns, message) =>
    [...turns, { user: message, assistant: '' }]
      .map(
        ({ user, assistant }, index) =>
          `${index > 0 ? '\n' : ''}<|user|>\n${user}\n<|assistant|>:\n${assistant}`,
      )
      .join(''),
};

export const promptFormats: Readonly<Record<PromptFormatName, PromptFormat>> = { alpaca, phi3 };

export function isPromptFormatName(name: string): name is PromptFormatName {
  return Object.hasOwn(promptFormats, name);
}

export function promptFormat(name: string): PromptFormat {
  if (!isPromptFormatName(name)) {
    throw new RangeError(`Unknown prompt format '${name}': use ${Object.keys(promptFormats).join(' or ')}`);
  }
  return promptFormats[name];
}

/**
 * A prompt format read from a model's own chat template (tokenizer_config.json's Jinja
 * `chat_template`): Qwen3's `<|im_start|>` turns, Llama 3's headers, Gemma 3's `<start_of_turn>`.
 * Instruction tuning then trains the model on the exact text it will be prompted with in chat.
 */
import { type ChatMessage, type ChatTemplateOptions, renderChatTemplate } from '@scratchgpt/tokenizer';
import type { InstructionEntry } from './entry.js';
import type { ChatTurn, PromptFormat } from './prompt-format.js';

export const CHAT_TEMPLATE = 'chat-template';

export interface ChatTemplateFormatOptions {
  /** A system message before every conversation; left out, the template's default (if any) applies. */
  system?: string;
  /** Qwen3's thinking switch; off by default, so answers are trained and asked for directly. */
  enableThinking?: boolean;
}

export interface ChatTemplateFormat extends PromptFormat {
  readonly name: typeof CHAT_TEMPLATE;
  /**
   * What ends an assistant's answer: the special token the template writes right after it (Qwen3's
   * `<|im_end|>`, Llama 3's `<|eot_id|>`, Gemma 3's `<end_of_turn>`), else all the template writes there.
   */
  readonly endOfTurn: string;
}

/** What the format needs of a Hugging Face tokenizer (an `HFTokenizer` has both). */
export interface ChatTemplateTokenizer {
  /** tokenizer_config.json, parsed: where the template is. */
  readonly config: Parameters<typeof renderChatTemplate>[0] | null;
  readonly specialTokens: ReadonlyMap<string, number>;
}

// Stand-ins for a user's message and an answer, to see what the template writes around them.
const USER_PROBE = 'scratchgpt-user-probe';
const ANSWER_PROBE = 'scratchgpt-answer-probe';

/**
 * The format of a tokenizer's chat template. The response header is what the template writes between
 * a user's turn and the assistant's answer, found by rendering a conversation once; a template whose
 * single-turn rendering is not a prefix of its two-turn one cannot be split into a prompt and a
 * response, and is refused.
 */
export function chatTemplateFormat(
  tokenizer: ChatTemplateTokenizer,
  options: ChatTemplateFormatOptions = {},
): ChatTemplateFormat {
  const tokenizerConfig = tokenizer.config;
  if (tokenizerConfig === null) {
    throw new RangeError(
      'The tokenizer has no tokenizer_config.json, so no chat template: put it beside tokenizer.json, or use --prompt-format alpaca or phi3',
    );
  }
  const templateOptions: ChatTemplateOptions = { enableThinking: options.enableThinking ?? false };
  const system: ChatMessage[] =
    options.system === undefined ? [] : [{ role: 'system', content: options.system }];
  const render = (messages: ChatMessage[], addGenerationPrompt = false) =>
    renderChatTemplate(tokenizerConfig, [...system, ...messages], {
      ...templateOptions,
      addGenerationPrompt,
    });

  const asked = render([{ role: 'user', content: USER_PROBE }]);
  const answered = render([
    { role: 'user', content: USER_PROBE },
    { role: 'assistant', content: ANSWER_PROBE },
  ]);
  const answerAt = answered.indexOf(ANSWER_PROBE, asked.length);
  if (!answered.startsWith(asked) || answerAt === -1) {
    throw new RangeError(
      'The chat template renders a user turn differently once an answer follows it, so its prompts cannot be split from their responses: use --prompt-format alpaca or phi3',
    );
  }
  // Empty where the template writes the assistant's header even unasked (Llama 3's first template).
  const responseHeader = answered.slice(asked.length, answerAt);
  const endOfTurn = endOfAnswer(answered.slice(answerAt + ANSWER_PROBE.length), tokenizer.specialTokens);
  if (endOfTurn === '') {
    throw new RangeError(
      'The chat template writes nothing after an assistant turn, so a model tuned with it could not learn to stop: use --prompt-format alpaca or phi3',
    );
  }
  const userMessage = ({ instruction, input }: Pick<InstructionEntry, 'instruction' | 'input'>) =>
    input ? `${instruction}\n\n${input}` : instruction;
  const history = (turns: readonly ChatTurn[]): ChatMessage[] =>
    turns.flatMap(({ user, assistant }) => [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ]);

  return {
    name: CHAT_TEMPLATE,
    prompt: (entry) => render([{ role: 'user', content: userMessage(entry) }]),
    responseHeader,
    responseMarker: responseHeader.trim(),
    endOfTurn,
    conversation: (turns, message) => render([...history(turns), { role: 'user', content: message }], true),
  };
}

/** The special token that opens what follows an answer (the longest that matches), else all of it. */
function endOfAnswer(after: string, specialTokens: ReadonlyMap<string, number>): string {
  const opening = [...specialTokens.keys()]
    .filter((token) => token !== '' && after.startsWith(token))
    .sort((a, b) => b.length - a.length);
  return opening[0] ?? after;
}

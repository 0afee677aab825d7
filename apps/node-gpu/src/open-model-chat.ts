/**
 * A Qwen3, Llama 3.2 or Gemma 3 checkpoint as a chat model: its conversations written by its own chat
 * template (tokenizer_config.json's `chat_template`), or by `--format alpaca|phi3` when asked, and its
 * answers ending at the template's end of turn or any of the model's stop ids. `chat` and `serve`
 * both read a checkpoint this way.
 */
import {
  type ChatTemplateFormat,
  chatTemplateFormat,
  type PromptFormat,
  promptFormat,
} from '@scratchgpt/instruct';
import { type DecoderConfig, familyOf } from '@scratchgpt/open-models';
import { type HFTokenizer, HFTokenizerFileError } from '@scratchgpt/tokenizer';
import { CommandError } from './errors.js';
import { openModelStopIds, openModelTokenizer } from './open-model-text.js';

export interface OpenChatModel {
  tokenizer: HFTokenizer;
  /** Undefined for a model without a chat template when no `--format` was given. */
  format: PromptFormat | undefined;
  /** Ids that end an answer: the end of turn, the tokenizer's EOS, generation_config.json's. */
  stopIds: number[];
}

export interface OpenChatOptions {
  /** `--format alpaca|phi3`; else the model's own chat template. */
  format: string | undefined;
  /** Qwen3's thinking before answering (off unless asked). */
  thinking: boolean;
  /** A model without a chat template: refused (chat) or served for completions only (serve). */
  requireFormat: boolean;
}

/**
 * Read from config.json and the tokenizer files before any weight is: a checkpoint that cannot chat
 * is refused without loading it.
 */
export async function openChatModel(
  directory: string,
  configJson: unknown,
  options: OpenChatOptions,
): Promise<OpenChatModel> {
  const { family, vocabSize } = decoderConfigOf(directory, configJson);
  const tokenizer = await openModelTokenizer(
    directory,
    'the model reads and writes text with it: download the checkpoint whole',
  );
  const format = chatFormatOf(tokenizer, family, options);
  const endOfTurn = format?.name === 'chat-template' ? (format as ChatTemplateFormat).endOfTurn : undefined;
  const endOfTurnId = endOfTurn === undefined ? undefined : tokenizer.specialTokens.get(endOfTurn);
  const stopIds = await openModelStopIds(directory, tokenizer, vocabSize);
  return {
    tokenizer,
    format,
    stopIds: endOfTurnId === undefined ? stopIds : [...new Set([endOfTurnId, ...stopIds])],
  };
}

function decoderConfigOf(directory: string, configJson: unknown): DecoderConfig {
  try {
    return familyOf(configJson).decoder(configJson);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError)
      throw new CommandError(`--model ${directory}: ${error.message}`);
    throw error;
  }
}

function chatFormatOf(
  tokenizer: HFTokenizer,
  family: string,
  options: OpenChatOptions,
): PromptFormat | undefined {
  if (options.format !== undefined) return promptFormat(options.format);
  const hasTemplate = tokenizer.config !== null && tokenizer.config.chat_template != null;
  if (!hasTemplate) {
    if (!options.requireFormat) return undefined;
    throw new CommandError(
      `This ${family} checkpoint has no chat template (tokenizer_config.json names none), so it is not tuned for chat: pass --format alpaca or phi3, or continue text with generate`,
    );
  }
  try {
    return chatTemplateFormat(tokenizer, { enableThinking: options.thinking });
  } catch (error) {
    if (error instanceof RangeError || error instanceof HFTokenizerFileError)
      throw new CommandError(`This ${family} checkpoint's chat template: ${error.message}`);
    throw error;
  }
}

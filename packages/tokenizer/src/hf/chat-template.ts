import { Template } from '@huggingface/jinja';
import { HFTokenizerFileError, type JsonObject } from './json-file.js';
import { CONFIG_FILE, configChatTemplate, configTokenName } from './tokenizer-config.js';

/** One turn of a conversation; templates may read more fields (Qwen3: `reasoning_content`). */
export interface ChatMessage {
  role: string;
  content: string;
  readonly [field: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the header that asks the model for the next assistant turn. */
  addGenerationPrompt?: boolean;
  /** Qwen3's switch between thinking and direct answers; left out, the template's default applies. */
  enableThinking?: boolean;
  /** Which of several named templates (`chat_template` as a list); "default" unless given. */
  templateName?: string;
  /** More variables for the template (tools, documents, dates). */
  variables?: Readonly<Record<string, unknown>>;
}

// Parsing a template is the slow part of rendering; a config's template is parsed once.
const parsedTemplates = new Map<string, Template>();

function parsedTemplate(source: string): Template {
  let template = parsedTemplates.get(source);
  if (template === undefined) {
    try {
      template = new Template(source);
    } catch (error) {
      throw new HFTokenizerFileError(
        `${CONFIG_FILE}: chat_template does not parse (${(error as Error).message})`,
      );
    }
    parsedTemplates.set(source, template);
  }
  return template;
}

/**
 * Renders a conversation with a tokenizer_config.json's Jinja chat template, as `apply_chat_template`
 * does with `tokenize=False`: the text to encode (with `allowedSpecial: 'all'`), BOS included where the
 * template writes it.
 */
export function renderChatTemplate(
  config: JsonObject,
  messages: readonly ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  const source = configChatTemplate(config, options.templateName);
  if (source === null) {
    throw new HFTokenizerFileError(`${CONFIG_FILE} has no chat_template: this model is not tuned for chat`);
  }
  const variables: Record<string, unknown> = {
    ...options.variables,
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? false,
  };
  // As transformers does: only the tokens the config sets (Qwen3 has no BOS token).
  for (const field of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const token = configTokenName(config, field);
    if (token !== null) variables[field] = token;
  }
  if (options.enableThinking !== undefined) variables.enable_thinking = options.enableThinking;
  return parsedTemplate(source).render(variables);
}

/** The parts of a Hugging Face tokenizer_config.json this package reads: special token names and the chat template. */
import {
  describe,
  expectArray,
  expectObject,
  expectString,
  HFTokenizerFileError,
  type JsonObject,
} from './json-file.js';

export const CONFIG_FILE = 'tokenizer_config.json';

/** A token named by the config: `"<eos>"` or, as some configs write it, `{ "content": "<eos>" }`. */
export function configTokenName(config: JsonObject, field: string): string | null {
  const value = config[field];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as JsonObject).content === 'string'
  ) {
    return (value as JsonObject).content as string;
  }
  throw new HFTokenizerFileError(
    `${CONFIG_FILE}: ${field} must be a token (a string or { "content": string }), not ${describe(value)}`,
  );
}

/**
 * The config's chat template: a string, or a list of named templates (then `name`, by default
 * "default"). Null when the config has none.
 */
export function configChatTemplate(config: JsonObject, name = 'default'): string | null {
  const value = config.chat_template;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const named = expectArray(value, CONFIG_FILE, 'chat_template').map((entry, index) => {
    const item = expectObject(entry, CONFIG_FILE, `chat_template[${index}]`);
    return {
      name: expectString(item.name, CONFIG_FILE, `chat_template[${index}].name`),
      template: expectString(item.template, CONFIG_FILE, `chat_template[${index}].template`),
    };
  });
  const chosen = named.find((entry) => entry.name === name);
  if (chosen === undefined) {
    throw new HFTokenizerFileError(
      `${CONFIG_FILE}: chat_template has no template named ${JSON.stringify(name)}; it has ${named.map((entry) => entry.name).join(', ')}`,
    );
  }
  return chosen.template;
}

import { Tokenizer as LibraryTokenizer } from '@huggingface/tokenizers';
import { checkId, type EncodeOptions, type Tokenizer } from '../tokenizer.js';
import {
  HFTokenizerFileError,
  type JsonObject,
  MAX_TOKENIZER_CONFIG_BYTES,
  MAX_TOKENIZER_JSON_BYTES,
  parseJsonObject,
} from './json-file.js';
import { CONFIG_FILE, configTokenName } from './tokenizer-config.js';
import { type CheckOptions, checkTokenizerJson } from './tokenizer-json.js';

const TOKENIZER_FILE = 'tokenizer.json';

export interface LoadHFTokenizerOptions extends CheckOptions {
  /** The tokenizer's `name`; by default the config's `tokenizer_class`, else "tokenizer.json". */
  name?: string;
  /** Size caps, checked before parsing. */
  maxTokenizerBytes?: number;
  maxConfigBytes?: number;
}

/**
 * A Hugging Face tokenizer.json tokenizer (Qwen3, Llama 3, Gemma 3), encoding and decoding with
 * `@huggingface/tokenizers`. `encode` gives the text's own ids: no BOS is added (a chat template
 * writes it into the text; prepend `bosId` yourself otherwise), and special tokens in the text are
 * refused unless allowed, as for GPT-2.
 */
export class HFTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  /** The config's tokenizer_config.json, parsed (null without one), for `renderChatTemplate`. */
  readonly config: JsonObject | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly #library: LibraryTokenizer;
  readonly #specialIds: ReadonlyMap<number, string>;

  constructor(json: JsonObject, config: JsonObject | null, options: LoadHFTokenizerOptions = {}) {
    const facts = checkTokenizerJson(json, TOKENIZER_FILE, options);
    try {
      this.#library = new LibraryTokenizer(json, config ?? {});
    } catch (error) {
      throw new HFTokenizerFileError(`${TOKENIZER_FILE} cannot be loaded: ${(error as Error).message}`);
    }
    const configClass = typeof config?.tokenizer_class === 'string' ? config.tokenizer_class : undefined;
    this.name = options.name ?? configClass ?? TOKENIZER_FILE;
    this.vocabSize = facts.vocabSize;
    this.specialTokens = facts.specialTokens;
    this.#specialIds = new Map([...facts.specialTokens].map(([token, id]) => [id, token]));
    this.config = config;
    this.bosToken = config === null ? null : configTokenName(config, 'bos_token');
    this.eosToken = config === null ? null : configTokenName(config, 'eos_token');
    this.padToken = config === null ? null : configTokenName(config, 'pad_token');
    this.bosId = this.#idOf(this.bosToken, 'bos_token');
    this.eosId = this.#idOf(this.eosToken, 'eos_token');
    this.padId = this.#idOf(this.padToken, 'pad_token');
  }

  encode(text: string, options?: EncodeOptions): number[] {
    const ids = this.#library.encode(text, { add_special_tokens: false }).ids;
    const allowed = options?.allowedSpecial;
    if (allowed !== 'all') {
      for (const id of ids) {
        const special = this.#specialIds.get(id);
        if (special !== undefined && !allowed?.has(special)) {
          throw new Error(
            `${this.name}: the text contains the special token ${special} at character ${text.indexOf(special)}; ` +
              `pass { allowedSpecial: new Set(['${special}']) } to encode it as its id, or remove it from the text`,
          );
        }
      }
    }
    return ids;
  }

  decode(ids: readonly number[]): string {
    for (const id of ids) checkId(id, this.vocabSize, this.name);
    if (ids.length === 0) return '';
    // No clean-up of spaces (Llama 3's config asks for it): decode(encode(text)) gives the text back.
    return this.#library.decode([...ids], {
      skip_special_tokens: false,
      clean_up_tokenization_spaces: false,
    });
  }

  /** The id of a token (vocabulary or added), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.#library.token_to_id(token);
  }

  #idOf(token: string | null, field: string): number | null {
    if (token === null) return null;
    const id = this.#library.token_to_id(token);
    if (id === undefined) {
      throw new HFTokenizerFileError(
        `${CONFIG_FILE}: ${field} ${JSON.stringify(token)} is not a token of ${TOKENIZER_FILE}; the two files are from different models`,
      );
    }
    return id;
  }
}

/**
 * Loads a tokenizer from the text (or bytes) of a model's tokenizer.json and, optionally, its
 * tokenizer_config.json (for the BOS/EOS/pad tokens and the chat template). Both are bounded before
 * they are parsed and checked field by field.
 */
export function loadHFTokenizer(
  tokenizerJson: string | Uint8Array,
  tokenizerConfigJson?: string | Uint8Array | null,
  options: LoadHFTokenizerOptions = {},
): HFTokenizer {
  const json = parseJsonObject(
    tokenizerJson,
    TOKENIZER_FILE,
    options.maxTokenizerBytes ?? MAX_TOKENIZER_JSON_BYTES,
  );
  const config =
    tokenizerConfigJson === undefined || tokenizerConfigJson === null
      ? null
      : parseJsonObject(
          tokenizerConfigJson,
          CONFIG_FILE,
          options.maxConfigBytes ?? MAX_TOKENIZER_CONFIG_BYTES,
        );
  return new HFTokenizer(json, config, options);
}

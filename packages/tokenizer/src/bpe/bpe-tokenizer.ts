import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { SpecialTokenSplitter } from '../special-tokens.js';
import { checkId, END_OF_TEXT, type EncodeOptions, type Tokenizer } from '../tokenizer.js';
import { byteStringToBytes, decodeByteString, utf8ByteString } from './bytes.js';
import { displayBytes } from './display.js';
import { bytePairEncode } from './merge.js';
import { GPT2_PATTERN, pretokenizer } from './pretokenize.js';
import { parseTiktokenRanks, type TiktokenRanks } from './tiktoken-ranks.js';
import { trainVocabulary } from './train.js';

export interface BPETokenizerData {
  name?: string;
  /** The pre-tokenization pattern (compiled with the `u` flag). Default: GPT-2's. */
  pattern?: string;
  /**
   * Each token's bytes as a byte string (one char per byte), by id; the merge priority is the id.
   * Every single byte must be a token. Special tokens' ids are ignored here. Where two ids have the
   * same bytes, encoding uses the later one.
   */
  tokens: readonly (string | undefined)[];
  specialTokens?: ReadonlyMap<string, number>;
}

/** `toJSON()`'s output: what `BPETokenizer.fromJSON` reads back. */
export interface BPETokenizerJSON {
  format: 'scratchgpt-bpe';
  version: 1;
  name: string;
  pattern: string;
  /** Base64 bytes by id; `null` at special tokens' ids. */
  tokens: (string | null)[];
  specialTokens: Record<string, number>;
}

export interface BPETrainOptions {
  vocabSize: number;
  /** Default: `<|endoftext|>`. */
  specialTokens?: readonly string[];
  pattern?: string;
  name?: string;
}

const CACHE_LIMIT = 1 << 16;

/**
 * A copy of a string that shares no memory with the text it was cut from. Engines may represent a
 * substring as a view into its parent (V8 does from 13 characters), and a cache key like that would
 * keep a whole chunk of a streamed corpus alive.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : text.split('').join('');
}

/**
 * Byte-level byte-pair encoding written from scratch: GPT-2's pre-tokenization, then tiktoken's merge
 * rule inside each piece. Train one on a text with `BPETokenizer.train`, or load GPT-2's ranks with
 * `BPETokenizer.fromGPT2()` to get exactly tiktoken's ids.
 */
export class BPETokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly pattern: string;
  /** The id of `<|endoftext|>` when this vocabulary has it. */
  readonly eotId: number | undefined;
  readonly #tokens: string[];
  readonly #ranks = new Map<string, number>();
  readonly #pretokenizer: RegExp;
  readonly #specials: SpecialTokenSplitter;
  // Pre-token → its id, or its ids when it takes several.
  readonly #cache = new Map<string, number | readonly number[]>();

  constructor(data: BPETokenizerData) {
    this.name = data.name ?? 'bpe';
    this.pattern = data.pattern ?? GPT2_PATTERN;
    this.#pretokenizer = pretokenizer(this.pattern);
    if (this.#pretokenizer.test('')) {
      throw new Error(
        `BPETokenizer: the pattern ${this.pattern} matches empty text; every piece needs a character`,
      );
    }
    this.specialTokens = new Map(data.specialTokens ?? []);
    const specialIds = new Set(this.specialTokens.values());
    this.#tokens = [];
    for (let id = 0; id < data.tokens.length; id++) {
      if (specialIds.has(id)) continue;
      const bytes = data.tokens[id];
      if (bytes === undefined)
        throw new Error(`BPETokenizer: token id ${id} has no bytes and is not special`);
      this.#tokens[id] = bytes;
      this.#ranks.set(bytes, id);
    }
    for (const [special, id] of this.specialTokens) this.#tokens[id] = utf8ByteString(special);
    for (let byte = 0; byte < 256; byte++) {
      if (!this.#ranks.has(String.fromCharCode(byte))) {
        throw new Error(
          `BPETokenizer: the byte ${byte} has no token; every byte needs one to encode any text`,
        );
      }
    }
    this.vocabSize = this.#tokens.length;
    this.eotId = this.specialTokens.get(END_OF_TEXT);
    this.#specials = new SpecialTokenSplitter(this.specialTokens);
  }

  /** Trains on a text until the vocabulary (bytes, `Ġ`, special tokens and merges) has `vocabSize` entries. */
  static train(text: string, options: BPETrainOptions): BPETokenizer {
    const specialTokens = options.specialTokens ?? [END_OF_TEXT];
    const base = 257 + specialTokens.length;
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < base) {
      throw new RangeError(
        `BPETokenizer.train: vocabSize ${options.vocabSize} is below the ${base} entries it starts with ` +
          `(256 bytes, Ġ, ${specialTokens.length} special); ask for at least ${base}`,
      );
    }
    const pattern = options.pattern ?? GPT2_PATTERN;
    const vocabulary = trainVocabulary(text, {
      vocabSize: options.vocabSize,
      specialTokens,
      pretokenizer: pretokenizer(pattern),
    });
    return new BPETokenizer({
      name: options.name ?? 'bpe',
      pattern,
      tokens: vocabulary.tokens,
      specialTokens: vocabulary.specialTokens,
    });
  }

  /** Loads tiktoken ranks as js-tiktoken ships them (`js-tiktoken/ranks/*`). */
  static fromTiktokenRanks(ranks: TiktokenRanks, name = 'bpe'): BPETokenizer {
    return new BPETokenizer({
      name,
      pattern: ranks.pat_str,
      tokens: parseTiktokenRanks(ranks.bpe_ranks),
      specialTokens: new Map(Object.entries(ranks.special_tokens)),
    });
  }

  /** GPT-2's vocabulary (50,257 entries): encodes exactly as tiktoken's `gpt2`. */
  static fromGPT2(name = 'gpt2-bpe'): BPETokenizer {
    return BPETokenizer.fromTiktokenRanks(gpt2Ranks, name);
  }

  /**
   * A tokenizer saved with `toJSON()`. Its pattern runs as a regular expression over every text
   * encoded, and a hostile one can take exponential time: a pattern other than GPT-2's is refused
   * unless `trustPattern` says the file comes from someone you trust.
   */
  static fromJSON(json: BPETokenizerJSON, options: { trustPattern?: boolean } = {}): BPETokenizer {
    if (json?.format !== 'scratchgpt-bpe' || json.version !== 1) {
      throw new Error('BPETokenizer.fromJSON: not a scratchgpt-bpe version 1 object; save it with toJSON()');
    }
    if (typeof json.pattern !== 'string')
      throw new Error('BPETokenizer.fromJSON: "pattern" must be a string');
    if (json.pattern !== GPT2_PATTERN && options.trustPattern !== true) {
      throw new Error(
        "BPETokenizer.fromJSON: the tokenizer's pre-tokenization pattern is not GPT-2's. A pattern runs as a " +
          'regular expression on every text, and a hostile one can take exponential time: load it with ' +
          '{ trustPattern: true } only if you trust where the file came from',
      );
    }
    return new BPETokenizer({
      name: json.name,
      pattern: json.pattern,
      tokens: json.tokens.map((token) => (token === null ? undefined : atob(token))),
      specialTokens: new Map(Object.entries(json.specialTokens)),
    });
  }

  toJSON(): BPETokenizerJSON {
    const specialIds = new Set(this.specialTokens.values());
    return {
      format: 'scratchgpt-bpe',
      version: 1,
      name: this.name,
      pattern: this.pattern,
      tokens: this.#tokens.map((bytes, id) => (specialIds.has(id) ? null : btoa(bytes))),
      specialTokens: Object.fromEntries(this.specialTokens),
    };
  }

  get endOfText(): string | undefined {
    return this.eotId === undefined ? undefined : END_OF_TEXT;
  }

  /** How many tokens were made by merging (those longer than one byte). */
  get mergeCount(): number {
    const specialIds = new Set(this.specialTokens.values());
    return this.#tokens.filter((bytes, id) => bytes.length > 1 && !specialIds.has(id)).length;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    // Sized for the usual case (no more ids than characters) and trimmed after: growing an array
    // one push at a time costs more than the encoding itself. Writing past the end still works.
    const ids = new Array<number>(text.length);
    let count = 0;
    for (const segment of this.#specials.split(text, this.name, options)) {
      if ('special' in segment) ids[count++] = segment.id;
      else count = this.#encodeOrdinary(segment.text, ids, count);
    }
    ids.length = count;
    return ids;
  }

  decode(ids: readonly number[]): string {
    let bytes = '';
    for (const id of ids) {
      checkId(id, this.vocabSize, this.name);
      bytes += this.#tokens[id];
    }
    return decodeByteString(bytes);
  }

  /** A token's bytes. */
  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize, this.name);
    return byteStringToBytes(this.#tokens[id] as string);
  }

  /** A token as GPT-2 writes it in its vocabulary (`Ġthe` for " the"); special tokens as themselves. */
  tokenName(id: number): string {
    checkId(id, this.vocabSize, this.name);
    for (const [special, specialId] of this.specialTokens) if (specialId === id) return special;
    return displayBytes(this.#tokens[id] as string);
  }

  /** Writes the ids of text without special tokens into `out` from `count` on; returns the new count. */
  #encodeOrdinary(text: string, out: number[], count: number): number {
    const cache = this.#cache;
    const regex = this.#pretokenizer;
    regex.lastIndex = 0;
    for (;;) {
      const match = regex.exec(text);
      if (match === null) break;
      const piece = match[0];
      let ids = cache.get(piece);
      if (ids === undefined) {
        const fresh: number[] = [];
        bytePairEncode(utf8ByteString(piece), this.#ranks, fresh);
        ids = fresh.length === 1 ? (fresh[0] as number) : fresh;
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(ownCopy(piece), ids);
      }
      if (typeof ids === 'number') out[count++] = ids;
      else for (let i = 0; i < ids.length; i++) out[count++] = ids[i] as number;
    }
    return count;
  }
}

import { checkId, type Tokenizer } from './tokenizer.js';

/** A character-level tokenizer (the classic tinyshakespeare setup): one id per distinct character. */
export class CharTokenizer implements Tokenizer {
  readonly name: string = 'char';
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number> = new Map();
  /** The vocabulary, id → character. */
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;
  // Ids of the basic-plane characters (not surrogates) by char code (−1: not in the vocabulary), for a fast encode.
  readonly #bmpIds = new Int32Array(0x10000).fill(-1);

  /** `chars` are the vocabulary in id order, each a single code point. */
  constructor(chars: readonly string[]) {
    const ids = new Map<string, number>();
    for (const char of chars) {
      if ([...char].length !== 1) throw new Error(`CharTokenizer: "${char}" is not a single character`);
      if (ids.has(char)) throw new Error(`CharTokenizer: "${char}" appears twice in the vocabulary`);
      ids.set(char, ids.size);
    }
    this.chars = [...chars];
    this.vocabSize = chars.length;
    this.#ids = ids;
    for (const [char, id] of ids) {
      const code = char.charCodeAt(0);
      // Surrogates take the slow path, which reads a pair as one character.
      if (char.length === 1 && (code < 0xd800 || code > 0xdfff)) this.#bmpIds[code] = id;
    }
  }

  /** The vocabulary of a text: its distinct characters (code points), sorted. */
  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(text)];
    return new CharTokenizer(
      chars.sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number)),
    );
  }

  encode(text: string): number[] {
    // At most one id per char code; sized once, as growing by push costs more than the lookups.
    const ids = new Array<number>(text.length);
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const id = this.#bmpIds[text.charCodeAt(i)] as number;
      if (id >= 0) {
        ids[count++] = id;
        continue;
      }
      const char = String.fromCodePoint(text.codePointAt(i) as number);
      const astral = this.#ids.get(char);
      if (astral === undefined) {
        throw new Error(
          `CharTokenizer: the character ${JSON.stringify(char)} is not in the vocabulary; ` +
            'build the tokenizer from a text that contains it',
        );
      }
      ids[count++] = astral;
      i += char.length - 1;
    }
    ids.length = count;
    return ids;
  }

  decode(ids: readonly number[]): string {
    let text = '';
    for (const id of ids) {
      checkId(id, this.vocabSize, this.name);
      text += this.chars[id];
    }
    return text;
  }
}

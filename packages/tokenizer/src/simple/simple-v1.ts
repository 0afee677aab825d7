import { checkId, END_OF_TEXT, type Tokenizer } from '../tokenizer.js';
import { splitWords } from './vocab.js';

/** Special tokens are the vocabulary's entries written like `<|name|>`. */
function specialsOf(vocab: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...vocab].filter(([word]) => /^<\|.+\|>$/.test(word)));
}

/**
 * The book's first tokenizer: words of a fixed vocabulary (see `buildVocab`) to ids and back.
 * A word outside the vocabulary is an error; `SimpleTokenizerV2` maps it to `<|unk|>` instead.
 */
export class SimpleTokenizerV1 implements Tokenizer {
  readonly name: string = 'simple-v1';
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly strToInt: ReadonlyMap<string, number>;
  readonly intToStr: readonly string[];
  /** The id of `<|endoftext|>` when the vocabulary has it. */
  readonly eotId: number | undefined;
  /** Spaces the decoder removes before these characters. */
  protected readonly tightPunctuation: RegExp = /\s+([,.?!"()'])/g;

  constructor(vocab: ReadonlyMap<string, number>) {
    this.strToInt = vocab;
    const intToStr: string[] = [];
    for (const [word, id] of vocab) intToStr[id] = word;
    this.intToStr = intToStr;
    this.vocabSize = intToStr.length;
    this.specialTokens = specialsOf(vocab);
    this.eotId = vocab.get(END_OF_TEXT);
  }

  get endOfText(): string | undefined {
    return this.eotId === undefined ? undefined : END_OF_TEXT;
  }

  encode(text: string): number[] {
    return splitWords(text).map((word) => this.idOf(word));
  }

  decode(ids: readonly number[]): string {
    const words = ids.map((id) => {
      checkId(id, this.vocabSize, this.name);
      return this.intToStr[id] as string;
    });
    return words.join(' ').replace(this.tightPunctuation, '$1');
  }

  protected idOf(word: string): number {
    const id = this.strToInt.get(word);
    if (id === undefined) {
      throw new Error(
        `SimpleTokenizerV1: "${word}" is not in the vocabulary; use SimpleTokenizerV2 (unknown words ` +
          'become <|unk|>) or add the word to the text the vocabulary is built from',
      );
    }
    return id;
  }
}

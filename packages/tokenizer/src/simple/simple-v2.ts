import { UNKNOWN } from '../tokenizer.js';
import { SimpleTokenizerV1 } from './simple-v1.js';

/**
 * The book's second tokenizer: like V1, but a word outside the vocabulary becomes `<|unk|>`, and the
 * decoder also closes up spaces before `:` and `;`. Build its vocabulary with `buildVocab`, which
 * appends `<|endoftext|>` and `<|unk|>`.
 */
export class SimpleTokenizerV2 extends SimpleTokenizerV1 {
  override readonly name: string = 'simple-v2';
  readonly unkId: number;
  protected override readonly tightPunctuation: RegExp = /\s+([,.:;?!"()'])/g;

  constructor(vocab: ReadonlyMap<string, number>) {
    super(vocab);
    const unkId = vocab.get(UNKNOWN);
    if (unkId === undefined) {
      throw new Error(
        `SimpleTokenizerV2 needs ${UNKNOWN} in its vocabulary; build it with buildVocab(text), which appends it`,
      );
    }
    this.unkId = unkId;
  }

  protected override idOf(word: string): number {
    return this.strToInt.get(word) ?? this.unkId;
  }
}

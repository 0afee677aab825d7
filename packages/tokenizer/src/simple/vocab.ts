import { END_OF_TEXT, UNKNOWN } from '../tokenizer.js';

/** The book's split: punctuation, double dashes and whitespace are their own items. */
const SPLIT = /([,.:;?_!"()']|--|\s)/;

/** Splits text the book's way: items stripped, empty ones dropped. */
export function splitWords(text: string): string[] {
  return text
    .split(SPLIT)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export interface BuildVocabOptions {
  /** Appended after the words, in this order. Default: `<|endoftext|>`, `<|unk|>` (the book's 1,132). */
  specialTokens?: readonly string[];
}

/** A word → id vocabulary: the sorted unique words of a text, then the special tokens. */
export function buildVocab(text: string, options: BuildVocabOptions = {}): Map<string, number> {
  const words = [...new Set(splitWords(text))].sort();
  const specials = (options.specialTokens ?? [END_OF_TEXT, UNKNOWN]).filter(
    (token) => !words.includes(token),
  );
  return new Map([...words, ...specials].map((word, id) => [word, id]));
}

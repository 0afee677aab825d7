/**
 * Byte-level BPE training from scratch: count the pre-tokens of a text, then repeatedly merge the most
 * frequent adjacent pair of tokens into a new token until the vocabulary has the size asked for.
 *
 * The vocabulary starts like the book's: the 256 bytes (ids 0–255), then `Ġ`, the book's name for a
 * space (id 256: every space byte is encoded as `Ġ`, so the raw space byte 32 stays unused), then the
 * special tokens, then the merges. Trained to 1,000 entries with `<|endoftext|>` that is 742 merges.
 *
 * Pair counts are kept up to date as words change, and a heap finds the most frequent pair: a merge
 * costs the length of the words it touches, not a pass over the whole text.
 */
import { utf8ByteString } from './bytes.js';
import { MinHeap } from './heap.js';

export const SPACE_ID = 256;

export interface TrainOptions {
  /** Special tokens, added after `Ġ` and never merged. */
  specialTokens: readonly string[];
  vocabSize: number;
  /** The pre-tokenization regular expression (global, Unicode). */
  pretokenizer: RegExp;
}

export interface TrainedVocabulary {
  /** Byte strings by id; special tokens' ids hold their text's bytes. */
  tokens: string[];
  specialTokens: Map<string, number>;
  /** Each merge as [left id, right id, new id], in training order. */
  merges: [number, number, number][];
}

const PAIR_SHIFT = 2 ** 21; // ids stay below 2²¹, so left · 2²¹ + right names a pair
const INDEX_SHIFT = 2 ** 22; // pair indexes stay below 2²²

interface Pair {
  index: number;
  count: number;
  words: Set<number>;
}

class PairCounts {
  readonly #pairs = new Map<number, Pair>();
  readonly #keys: number[] = []; // pair index → pair key
  // Heap keys: index − count · 2²²: the most frequent pair first, the earliest seen on ties.
  readonly #heap = new MinHeap();
  readonly #touched = new Set<number>();

  add(left: number, right: number, word: number, count: number): void {
    const key = left * PAIR_SHIFT + right;
    let pair = this.#pairs.get(key);
    if (pair === undefined) {
      pair = { index: this.#keys.length, count: 0, words: new Set() };
      this.#pairs.set(key, pair);
      this.#keys.push(key);
    }
    pair.count += count;
    if (count > 0) pair.words.add(word);
    this.#touched.add(key);
  }

  /** Pushes the new counts of every pair changed since the last call. */
  commit(): void {
    for (const key of this.#touched) {
      const pair = this.#pairs.get(key) as Pair;
      if (pair.count > 0) this.#heap.push(pair.index - pair.count * INDEX_SHIFT);
    }
    this.#touched.clear();
  }

  /** The most frequent pair as [left, right, its words], or undefined when none is left. */
  popBest(): [number, number, Set<number>] | undefined {
    while (this.#heap.size > 0) {
      const heapKey = this.#heap.pop();
      const index = ((heapKey % INDEX_SHIFT) + INDEX_SHIFT) % INDEX_SHIFT;
      const key = this.#keys[index] as number;
      const pair = this.#pairs.get(key) as Pair;
      // Stale entries carry an old count.
      if (pair.count <= 0 || index - pair.count * INDEX_SHIFT !== heapKey) continue;
      return [Math.floor(key / PAIR_SHIFT), key % PAIR_SHIFT, pair.words];
    }
    return undefined;
  }
}

export function trainVocabulary(text: string, options: TrainOptions): TrainedVocabulary {
  const tokens: string[] = [];
  for (let byte = 0; byte < 256; byte++) tokens.push(String.fromCharCode(byte));
  tokens.push(' '); // Ġ
  const specialTokens = new Map<string, number>();
  for (const special of options.specialTokens) {
    specialTokens.set(special, tokens.length);
    tokens.push(utf8ByteString(special));
  }
  const byId = new Map(tokens.map((bytes, id) => [bytes, id]));

  const { words, counts } = countWords(text, options);
  const pairs = new PairCounts();
  const addPairs = (w: number, sign: number): void => {
    const word = words[w] as number[];
    for (let i = 0; i < word.length - 1; i++) {
      pairs.add(word[i] as number, word[i + 1] as number, w, sign * (counts[w] as number));
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  pairs.commit();

  const merges: [number, number, number][] = [];
  while (tokens.length < options.vocabSize) {
    const best = pairs.popBest();
    if (best === undefined) break; // every word is a single token
    const [left, right, wordsWithPair] = best;
    const bytes = (tokens[left] as string) + (tokens[right] as string);
    // Two merge paths can spell the same bytes: reuse the token rather than add a twin.
    let id = byId.get(bytes);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(bytes);
      byId.set(bytes, id);
    }
    merges.push([left, right, id]);
    for (const w of [...wordsWithPair]) {
      addPairs(w, -1);
      words[w] = replacePair(words[w] as number[], left, right, id);
      addPairs(w, 1);
    }
    wordsWithPair.clear();
    pairs.commit();
  }
  return { tokens, specialTokens, merges };
}

/** The distinct pre-tokens of a text as byte ids, with how often each occurs. */
function countWords(text: string, options: TrainOptions): { words: number[][]; counts: number[] } {
  const frequency = new Map<string, number>();
  for (const segment of splitOnSpecials(text, options.specialTokens)) {
    for (const match of segment.matchAll(options.pretokenizer)) {
      frequency.set(match[0], (frequency.get(match[0]) ?? 0) + 1);
    }
  }
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [piece, count] of frequency) {
    const bytes = utf8ByteString(piece);
    const ids: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes.charCodeAt(i);
      ids.push(byte === 32 ? SPACE_ID : byte);
    }
    words.push(ids);
    counts.push(count);
  }
  return { words, counts };
}

function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  let segments = [text];
  for (const special of specials) segments = segments.flatMap((segment) => segment.split(special));
  return segments;
}

function replacePair(word: number[], left: number, right: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      out.push(id);
      i++;
    } else {
      out.push(word[i] as number);
    }
  }
  return out;
}

/**
 * A small byte-level BPE tokenizer.json for the tiny open models of the tests (their vocabulary is
 * 300 ids): the 256 bytes, a few merges, and an end-of-text token as the last id.
 */

/** GPT-2's printable stand-ins for the 256 bytes, in byte order: what byte-level BPE vocabularies hold. */
export function byteCharacters(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

export const END_OF_TEXT = '<|endoftext|>';

/**
 * A byte-level BPE tokenizer.json of `size` ids covering the tiny model's vocabulary: the 256 bytes,
 * merges of letter pairs ("ab", "cd", …), and an end-of-text token as the last id.
 */
export function byteLevelTokenizer(size: number) {
  const vocab: Record<string, number> = {};
  byteCharacters().forEach((character, id) => {
    vocab[character] = id;
  });
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?';
  const merges: string[] = [];
  for (let i = 0; Object.keys(vocab).length < size - 1; i += 2) {
    const pair = [letters[i % letters.length]!, letters[(i + 1) % letters.length]!];
    if (vocab[pair.join('')] !== undefined) break;
    vocab[pair.join('')] = Object.keys(vocab).length;
    merges.push(pair.join(' '));
  }
  const eosId = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: [{ id: eosId, content: END_OF_TEXT, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges },
  };
}

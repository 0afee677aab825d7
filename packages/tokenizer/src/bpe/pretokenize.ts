/**
 * GPT-2's pre-tokenization: contractions, letters with an optional leading space, numbers, other
 * symbols, and whitespace (a run of spaces leaves its last one to the word after it). Byte pairs are
 * merged only inside these pieces. This is the pattern tiktoken uses for `gpt2`.
 */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** A global, Unicode-aware regular expression for a pre-tokenization pattern. */
export function pretokenizer(pattern: string): RegExp {
  return new RegExp(pattern, 'gu');
}

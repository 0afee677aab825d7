/**
 * Where a long text can be cut into pieces that tokenize independently to the same ids as the whole.
 *
 * GPT-2's pre-tokenization (and the book's word split) never joins across these two kinds of place,
 * and the pieces on either side come out the same whether or not the rest of the text follows:
 * - before a single space that sits between two non-whitespace characters (`word| next`): the space
 *   starts the next piece (` next`), and nothing before it reaches past it;
 * - after a single newline between two non-whitespace characters (`word\n|Next`): the newline is a
 *   piece of its own either way (two newlines would be one piece, `\n\n`, so they are never split).
 * Special tokens such as `<|endoftext|>` contain no whitespace, so they are never cut either.
 */

function isWhitespace(char: string | undefined): boolean {
  return char === undefined || /\s/.test(char);
}

/**
 * The last safe cut in `text` at or after `from`: an index `p` with `0 < p < text.length`, or −1 when
 * there is none. The text after `p` must already be known (a cut needs the character after it).
 */
export function lastSafeSplit(text: string, from = 0): number {
  for (let p = text.length - 1; p >= Math.max(from, 1); p--) {
    const char = text[p];
    if (char === ' ' && !isWhitespace(text[p - 1]) && !isWhitespace(text[p + 1])) return p;
    if (text[p - 1] === '\n' && p >= 2 && !isWhitespace(text[p - 2]) && !isWhitespace(char)) return p;
  }
  return -1;
}

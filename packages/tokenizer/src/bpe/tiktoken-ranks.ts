/**
 * Reads tiktoken's rank files as js-tiktoken ships them: lines of `name offset token token …`, each
 * token base64 bytes whose rank (its id) is the offset plus its place on the line.
 */

/** The shape of js-tiktoken's rank modules (`js-tiktoken/ranks/gpt2`). */
export interface TiktokenRanks {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

/** The tokens' bytes (byte strings) by rank. */
export function parseTiktokenRanks(bpeRanks: string): string[] {
  const tokens: string[] = [];
  for (const line of bpeRanks.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const offset = Number(fields[1]);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new Error(`tiktoken ranks: a line starts with offset "${fields[1]}", not a non-negative integer`);
    }
    for (let i = 2; i < fields.length; i++) tokens[offset + i - 2] = atob(fields[i] as string);
  }
  return tokens;
}

import type { EncodeOptions } from './tokenizer.js';

/** A piece of text between special tokens, or an allowed special token with its id. */
export type TextSegment = { text: string } | { special: string; id: number };

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * Finds the special tokens in a text: ordinary text between them, allowed ones as their ids.
 * A special token that is not allowed is an error (tiktoken's `disallowed_special` default), because
 * encoding `<|endoftext|>` as plain text by accident silently changes what a model is trained on.
 */
export class SpecialTokenSplitter {
  readonly #tokens: ReadonlyMap<string, number>;
  readonly #pattern: RegExp | null;

  constructor(tokens: ReadonlyMap<string, number>) {
    this.#tokens = tokens;
    // Longest first, so a token that contains another wins.
    const alternatives = [...tokens.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.#pattern = alternatives.length === 0 ? null : new RegExp(alternatives.join('|'), 'g');
  }

  split(text: string, tokenizerName: string, options?: EncodeOptions): TextSegment[] {
    if (this.#pattern === null) return [{ text }];
    const allowed = options?.allowedSpecial;
    const segments: TextSegment[] = [];
    let start = 0;
    for (const match of text.matchAll(this.#pattern)) {
      const special = match[0];
      if (allowed !== 'all' && !allowed?.has(special)) {
        throw new Error(
          `${tokenizerName}: the text contains the special token ${special} at character ${match.index}; ` +
            `pass { allowedSpecial: new Set(['${special}']) } to encode it as its id, or remove it from the text`,
        );
      }
      if (match.index > start) segments.push({ text: text.slice(start, match.index) });
      segments.push({ special, id: this.#tokens.get(special) as number });
      start = match.index + special.length;
    }
    if (start < text.length) segments.push({ text: text.slice(start) });
    return segments;
  }
}

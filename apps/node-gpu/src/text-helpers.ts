import { getGPT2Tokenizer, type Tokenizer } from '@scratchgpt/tokenizer';

/** GPT-2's BPE, with `<|endoftext|>` allowed in text as the book does. */
export function gpt2(): Tokenizer {
  return getGPT2Tokenizer();
}

export function encodeText(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { allowedSpecial: 'all' });
}

/**
 * Decodes growing token lists for streaming: returns only text not yet printed, holding back a trailing
 * partial UTF-8 character (a token can end in the middle of one) until the next token completes it.
 * The `final` call gives what is left, a character no token completed included.
 */
export function createStreamDecoder(
  tokenizer: Tokenizer,
): (ids: readonly number[], final?: boolean) => string {
  let printed = 0;
  return (ids, final = false) => {
    let text = tokenizer.decode(ids);
    if (!final && text.endsWith('\uFFFD')) text = text.slice(0, text.lastIndexOf('\uFFFD'));
    if (text.length <= printed) return '';
    const delta = text.slice(printed);
    printed = text.length;
    return delta;
  };
}

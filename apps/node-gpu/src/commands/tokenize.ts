import { buildVocab, CharTokenizer, SimpleTokenizerV2, type Tokenizer } from '@scratchgpt/tokenizer';
import { type FlagSpec, parseFlags, requireString, stringFlag } from '../args.js';
import { readText } from '../data.js';
import { UsageError } from '../errors.js';
import { encodeText, gpt2 } from '../text-helpers.js';
import type { CommandContext } from './context.js';

export const tokenizeFlags = {
  file: { type: 'string' },
  tokenizer: { type: 'string' },
  ids: { type: 'boolean' },
} as const satisfies FlagSpec;

export const tokenizeHelp = `scratchgpt tokenize --file F [--tokenizer gpt2|simple|char] [--ids]

Counts the tokens of a text. gpt2 is GPT-2's BPE; simple (the book's word tokenizer) and char build
their vocabulary from the file itself. --ids also lists the token ids.
With --json: {"tokens","characters","vocabSize","ids"?}.`;

export async function runTokenize(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, tokenizeFlags, 'tokenize');
  const path = requireString(values, 'file', 'tokenize');
  const kind = stringFlag(values, 'tokenizer') ?? 'gpt2';
  const text = await readText(path, '--file');
  let tokenizer: Tokenizer;
  if (kind === 'gpt2') tokenizer = gpt2();
  else if (kind === 'simple') tokenizer = new SimpleTokenizerV2(buildVocab(text));
  else if (kind === 'char') tokenizer = CharTokenizer.fromText(text);
  else throw new UsageError(`--tokenizer must be gpt2, simple or char, got '${kind}'`);
  const ids = kind === 'gpt2' ? encodeText(tokenizer, text) : tokenizer.encode(text);
  const result = {
    tokens: ids.length,
    characters: [...text].length,
    vocabSize: tokenizer.vocabSize,
    ...(values.ids === true ? { ids } : {}),
  };
  context.output.result(result, () =>
    [
      `${ids.length} tokens, ${result.characters} characters (${kind}, vocabulary ${tokenizer.vocabSize})`,
      ...(values.ids ? [ids.join(' ')] : []),
    ].join('\n'),
  );
  return 0;
}

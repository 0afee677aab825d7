import { buildVocab, CharTokenizer, SimpleTokenizerV2, type Tokenizer } from '@scratchgpt/tokenizer';
import { type FlagSpec, parseCommandLine, stringFlag } from '../args.js';
import { readText } from '../data.js';
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';
import { encodeText, gpt2 } from '../text-helpers.js';
import type { Command } from './command.js';

const flags = {
  file: { type: 'string' },
  tokenizer: { type: 'string' },
  ids: { type: 'boolean' },
} as const satisfies FlagSpec;

const TOKENIZERS = ['gpt2', 'simple', 'char'];

export const tokenize: Command = {
  summary: 'count (and list) the tokens of a text',
  usage: 'scratchgpt tokenize [TEXT | --file F] [--tokenizer gpt2|simple|char] [--ids]',
  help: `Counts the tokens of a text: TEXT given as an argument, the file F, or standard input.
  --tokenizer NAME       gpt2 (default, GPT-2's BPE); simple (the book's word tokenizer) and char build
                         their vocabulary from the text itself
  --ids                  also list the token ids
With --json: {"tokens","characters","vocabSize","ids"?}.`,
  async run(args, context) {
    const { values, positionals } = parseCommandLine(args, flags, 'tokenize');
    const kind = stringFlag(values, 'tokenizer') ?? 'gpt2';
    if (!TOKENIZERS.includes(kind)) {
      const suggestion = closest(kind, TOKENIZERS);
      throw new UsageError(
        `--tokenizer must be gpt2, simple or char, got '${kind}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
      );
    }
    const text = await textToCount(stringFlag(values, 'file'), positionals);
    const tokenizer: Tokenizer =
      kind === 'gpt2'
        ? gpt2()
        : kind === 'simple'
          ? new SimpleTokenizerV2(buildVocab(text))
          : CharTokenizer.fromText(text);
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
  },
};

async function textToCount(file: string | undefined, positionals: string[]): Promise<string> {
  if (file !== undefined && positionals.length > 0) {
    throw new UsageError('tokenize: give a TEXT or --file F, not both');
  }
  if (file !== undefined) return readText(file, '--file');
  if (positionals.length > 0) return positionals.join(' ');
  if (process.stdin.isTTY) {
    throw new UsageError('tokenize: give a TEXT, --file F, or pipe the text to standard input');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

import { buildVocab, CharTokenizer, SimpleTokenizerV2, type Tokenizer } from '@scratchgpt/tokenizer';
import { readText } from '../data.js';
import { UsageError } from '../errors.js';
import { encodeText, gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';

export const tokenize = defineCommand({
  summary: 'count (and list) the tokens of a text',
  usage: ['scratchgpt tokenize [TEXT | --file F] [--tokenizer gpt2|simple|char] [--ids]'],
  description: 'Counts the tokens of a text: TEXT given as an argument, the file F, or standard input.',
  positionals: 'TEXT',
  flags: {
    file: { type: 'string', value: 'F', help: 'the text to count, from this file' },
    tokenizer: {
      type: 'string',
      value: 'NAME',
      choices: ['gpt2', 'simple', 'char'],
      default: 'gpt2',
      help: "gpt2 (GPT-2's BPE); simple (the book's word tokenizer) and char build their vocabulary from the text itself",
    },
    ids: { type: 'boolean', help: 'also list the token ids' },
  },
  notes: 'With --json: {"tokens","characters","vocabSize","ids"?}.',
  async run(values, context, positionals) {
    const kind = values.tokenizer;
    const text = await textToCount(values.file, positionals);
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
});

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

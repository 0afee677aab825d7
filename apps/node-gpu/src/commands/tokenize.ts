import { buildVocab, CharTokenizer, SimpleTokenizerV2, type Tokenizer } from '@scratchgpt/tokenizer';
import { readText } from '../data.js';
import { UsageError } from '../errors.js';
import { resolveModelSource } from '../model-source.js';
import { openModelConfigOf } from '../open-model-directory.js';
import { openModelTokenizer } from '../open-model-text.js';
import { encodeText, gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

export const tokenize = defineCommand({
  summary: 'count (and list) the tokens of a text',
  usage: ['scratchgpt tokenize [TEXT | --file F] [--tokenizer gpt2|simple|char | --model DIR|ID] [--ids]'],
  description: 'Counts the tokens of a text: TEXT given as an argument, the file F, or standard input.',
  positionals: 'TEXT',
  flags: {
    file: { type: 'string', value: 'F', help: 'the text to count, from this file' },
    tokenizer: {
      type: 'string',
      value: 'NAME',
      choices: ['gpt2', 'simple', 'char'],
      defaultText: 'gpt2, or the --model one',
      help: "gpt2 (GPT-2's BPE); simple (the book's word tokenizer) and char build their vocabulary from the text itself",
    },
    model: {
      type: 'string',
      value: 'DIR|ID',
      help: "a model's own tokenizer: a Qwen3, Llama 3.2 or Gemma 3 checkpoint's tokenizer.json (GPT-2's BPE for GPT-2), from a directory or a Hugging Face Hub id",
    },
    ids: { type: 'boolean', help: 'also list the token ids' },
  },
  notes: 'With --json: {"tokens","characters","vocabSize","ids"?}.',
  async run(values, context, positionals) {
    if (values.model !== undefined && values.tokenizer !== undefined)
      throw new UsageError('tokenize: give --tokenizer NAME or --model DIR|ID, not both');
    // The model first: a wrong --model is reported before standard input is waited for.
    const ofModel = values.model === undefined ? undefined : await modelTokenizer(values.model, context);
    const text = await textToCount(values.file, positionals);
    const { tokenizer, kind } = ofModel ?? namedTokenizer(values.tokenizer ?? 'gpt2', text);
    const ids = kind === 'simple' || kind === 'char' ? tokenizer.encode(text) : encodeText(tokenizer, text);
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

function namedTokenizer(kind: string, text: string): { tokenizer: Tokenizer; kind: string } {
  const tokenizer =
    kind === 'gpt2'
      ? gpt2()
      : kind === 'simple'
        ? new SimpleTokenizerV2(buildVocab(text))
        : CharTokenizer.fromText(text);
  return { tokenizer, kind };
}

/** The tokenizer a model reads with: an open family's tokenizer.json, else GPT-2's BPE. */
async function modelTokenizer(
  source: string,
  context: CommandContext,
): Promise<{ tokenizer: Tokenizer; kind: string }> {
  const directory = await resolveModelSource(source, context);
  if ((await openModelConfigOf(directory)) === undefined) return { tokenizer: gpt2(), kind: 'gpt2' };
  const tokenizer = await openModelTokenizer(directory, 'tokenize reads it beside config.json');
  return { tokenizer, kind: tokenizer.name };
}

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

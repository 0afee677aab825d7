/** `classify predict`: the class and probabilities of each text given (or read from stdin, one per line). */
import { createInterface } from 'node:readline';
import { type Classification, classifyTexts } from '@scratchgpt/classifier';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { checkModelMemory, describeModel } from './model.js';
import { findClassifier, loadClassifierFiles, readClassifierSettings } from './run.js';

export const classifyPredict = defineCommand({
  summary: 'the class of each text, and its probability',
  usage: ['scratchgpt classify predict --model DIR [TEXT...]        (no TEXT: one text per line of stdin)'],
  description: 'The most likely class of each text and its probability.',
  positionals: 'TEXT...',
  flags: { model: { type: 'string', value: 'DIR', required: true, help: 'a classifier checkpoint or run' } },
  notes: 'With --json: one {"text","label","probabilities","truncated"} per text.',
  run: ({ model }, context, texts) => runClassifyPredict(model, texts, context),
});

async function runClassifyPredict(
  directory: string,
  positionals: string[],
  context: CommandContext,
): Promise<number> {
  refuseEmptyTexts(positionals);
  const location = await findClassifier(directory, 'classify predict');
  const settings = await readClassifierSettings(location.files);
  const model = await describeModel(location.files);
  const texts = positionals.length > 0 ? positionals : await readLines();
  if (texts.length === 0) {
    throw new UsageError('classify predict: give the texts to classify, or pipe them in one per line');
  }

  await context.startBackend();
  checkModelMemory(model, { batchSize: 16, tokens: settings.maxLength, training: false });
  const { classifier } = await loadClassifierFiles(location);
  const results = await classifyTexts(classifier, model.tokenizer, texts, settings);
  for (const result of results) {
    context.output.result(shape(result, settings.classes), () => line(result));
  }
  classifier.dispose();
  return 0;
}

/** An empty argument is a slip (an unset variable, stray quotes): a class for it would mean nothing. */
function refuseEmptyTexts(texts: readonly string[]): void {
  const empty = texts.findIndex((text) => text.trim() === '');
  if (empty >= 0) {
    throw new UsageError(
      `classify predict: text ${empty + 1} is empty: give each text to classify as a non-empty argument`,
    );
  }
}

/** Non-empty lines of stdin; none when stdin is a terminal (nothing was piped). */
async function readLines(): Promise<string[]> {
  if (process.stdin.isTTY) return [];
  const lines: string[] = [];
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (text.trim() !== '') lines.push(text);
  }
  return lines;
}

function shape(result: Classification, classes: readonly string[]) {
  const probabilities = Object.fromEntries(classes.map((name, i) => [name, result.probabilities[i]]));
  return { text: echoed(result.text), label: result.label, probabilities, truncated: result.truncated };
}

function line(result: Classification): string {
  const p = (result.probabilities[result.index] as number) * 100;
  return `${result.label}\t${p.toFixed(1)}%\t${echoed(result.text)}${result.truncated ? '\t(truncated)' : ''}`;
}

/** A text as printed beside its class: enough to recognise it, never megabytes back. */
function echoed(text: string): string {
  return text.length <= ECHO_CHARS ? text : `${text.slice(0, ECHO_CHARS)}…`;
}

const ECHO_CHARS = 200;

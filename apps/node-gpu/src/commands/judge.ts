/**
 * `scratchgpt judge`: scores a model's answers with a larger model behind Ollama (the book's section
 * 7.8) or any OpenAI-compatible server. Needs no backend: the judge does the computing.
 */
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import {
  createJudgeClient,
  DEFAULT_ENDPOINT,
  InstructionDataError,
  type JudgeApi,
  type JudgedEntry,
  JudgeError,
  type JudgeSummary,
  judgeResponses,
  parseJudgedEntries,
} from '@scratchgpt/instruct';
import { type FlagSpec, numberFlag, parseFlags, requireString, stringFlag } from '../args.js';
import { CountProgress } from '../count-progress.js';
import { readText } from '../data.js';
import { CommandError, UsageError } from '../errors.js';
import type { Command } from './command.js';

const flags = {
  responses: { type: 'string' },
  endpoint: { type: 'string' },
  api: { type: 'string' },
  'judge-model': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  out: { type: 'string' },
} as const satisfies FlagSpec;

export const judge: Command = {
  summary: "score a model's answers with a larger model (Ollama or OpenAI-compatible)",
  usage:
    'scratchgpt judge --responses FILE [--endpoint URL] [--api ollama|openai] [--judge-model NAME] [--timeout S] [--retries N] [--out FILE]',
  help: `Asks a judge model to score each "model_response" of FILE (written by 'scratchgpt instruct
respond') from 0 to 100 against the expected output, with the book's prompt (seed 123, temperature 0).
An empty response scores 0 without asking; an answer that is not an integer from 0 to 100 is skipped
and counted.
  --responses FILE       a JSON array (or JSON lines) of {instruction, input, output, model_response}
  --endpoint URL         the server (default ${DEFAULT_ENDPOINT}, Ollama's), or its full chat URL
  --api ollama|openai    its protocol: Ollama's /api/chat (streamed) or /v1/chat/completions
                         (default: from the URL, else ollama); OPENAI_API_KEY is sent if set
  --judge-model NAME     the judge (default llama3, the book's; Ollama: 'ollama pull llama3' first)
  --timeout S            seconds one request may take (default 120)
  --retries N            tries after a timeout, a dropped connection or HTTP 429/5xx, with
                         exponential backoff from 1 s (default 3)
  --out FILE             also write each entry with its "score" (null where skipped)
With --json: {"average","scored","skipped","total","histogram","skippedAnswers":[{"index","answer"}]}.`,
  async run(args, context) {
    const values = parseFlags(args, flags, 'judge');
    const path = requireString(values, 'responses', 'judge');
    const api = stringFlag(values, 'api');
    if (api !== undefined && api !== 'ollama' && api !== 'openai')
      throw new UsageError(`--api must be ollama or openai, got '${api}'`);
    const timeout = numberFlag(values, 'timeout', { min: 0, exclusiveMin: true }) ?? 120;
    const retries = numberFlag(values, 'retries', { integer: true, min: 0, max: 20 }) ?? 3;
    const out = stringFlag(values, 'out');
    const entries = await readResponses(path);
    let client: ReturnType<typeof createJudgeClient>;
    try {
      const apiKey = process.env.OPENAI_API_KEY;
      client = createJudgeClient({
        endpoint: stringFlag(values, 'endpoint') ?? DEFAULT_ENDPOINT,
        ...(api ? { api: api as JudgeApi } : {}),
        model: stringFlag(values, 'judge-model') ?? 'llama3',
        timeoutMs: timeout * 1000,
        retries,
        ...(apiKey ? { apiKey } : {}),
      });
    } catch (error) {
      if (error instanceof JudgeError) throw new UsageError(`--endpoint: ${error.message}`);
      throw error;
    }
    const { output } = context;
    output.note(`judging ${entries.length} responses with ${client.model} at ${client.url}`);
    const progress = new CountProgress(output.isTTY, 'judging');
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.on('SIGINT', onInterrupt);
    let summary: JudgeSummary;
    try {
      const stream = judgeResponses(entries, client, { signal: controller.signal });
      let next = await stream.next();
      for (; !next.done; next = await stream.next()) progress.update(next.value.done, next.value.total);
      summary = next.value;
    } catch (error) {
      if (error instanceof JudgeError) throw new CommandError(judgeFailure(error));
      throw error;
    } finally {
      progress.done();
      process.off('SIGINT', onInterrupt);
    }
    if (out !== undefined) {
      const scored = entries.map((entry, i) => ({ ...entry, score: summary.scores[i] ?? null }));
      await writeFileAtomic(out, `${JSON.stringify(scored, null, 2)}\n`);
    }
    const result = {
      average: Number.isNaN(summary.average) ? null : summary.average,
      scored: summary.scored,
      skipped: summary.skipped.length,
      total: entries.length,
      histogram: summary.histogram,
      skippedAnswers: summary.skipped,
    };
    output.result(result, () => report(summary, entries.length));
    return 0;
  },
};

async function readResponses(path: string): Promise<JudgedEntry[]> {
  const text = await readText(path, '--responses');
  try {
    return parseJudgedEntries(text, `--responses ${path}`);
  } catch (error) {
    if (error instanceof InstructionDataError)
      throw new CommandError(`${error.message} (write the file with 'scratchgpt instruct respond')`);
    throw error;
  }
}

function judgeFailure(error: JudgeError): string {
  switch (error.failure) {
    case 'unreachable':
      return `${error.message}: start the judge's server ('ollama serve') or point --endpoint at it`;
    case 'timeout':
      return `${error.message}: raise --timeout, or check that the server is not overloaded`;
    case 'aborted':
      return 'stopped (Ctrl-C) before every response was judged';
    default:
      return error.message;
  }
}

function report(summary: JudgeSummary, total: number): string {
  const lines = [
    `average score ${Number.isNaN(summary.average) ? '–' : summary.average.toFixed(2)} over ${summary.scored} of ${total} responses` +
      (summary.skipped.length > 0
        ? ` (${summary.skipped.length} answers skipped: not an integer from 0 to 100)`
        : ''),
  ];
  const most = Math.max(1, ...summary.histogram);
  summary.histogram.forEach((count, bin) => {
    const range = bin === 9 ? '90–100' : `${bin * 10}–${bin * 10 + 9}`;
    lines.push(`  ${range.padStart(6)} ${'█'.repeat(Math.round((count / most) * 30)).padEnd(30)} ${count}`);
  });
  return lines.join('\n');
}

/**
 * `scratchgpt judge`: scores a model's answers with a larger model behind Ollama (the book's section
 * 7.8) or any OpenAI-compatible server. Needs no backend: the judge does the computing.
 */
import {
  createJudgeClient,
  DEFAULT_ENDPOINT,
  InstructionDataError,
  type JudgeApi,
  type JudgeClient,
  type JudgedEntry,
  JudgeError,
  type JudgeSummary,
  judgeResponses,
  MAX_TIMEOUT_MS,
  parseJudgedEntries,
} from '@scratchgpt/instruct';
import type { Flags, FlagValues } from '../args.js';
import { CountProgress } from '../count-progress.js';
import { readText } from '../data.js';
import { CommandError, UsageError } from '../errors.js';
import { JudgeResultsFile, judgeRecord, readEarlierVerdicts } from '../judge-results.js';
import { checkOutputFile, outputPathFlag } from '../output-file.js';
import { defineCommand } from './command.js';

/** The longest --timeout, in whole seconds, that Node's timers hold. */
const MAX_TIMEOUT_S = Math.floor(MAX_TIMEOUT_MS / 1000);

const judgeFlags = {
  responses: {
    type: 'string',
    value: 'FILE',
    required: true,
    help: 'a JSON array (or JSON lines) of {instruction, input, output, model_response}',
  },
  endpoint: {
    type: 'string',
    value: 'URL',
    default: DEFAULT_ENDPOINT,
    defaultText: `${DEFAULT_ENDPOINT}, Ollama's`,
    help: 'the server, or its full chat URL',
  },
  api: {
    type: 'string',
    choices: ['ollama', 'openai'],
    defaultText: 'from the URL, else ollama',
    help: "its protocol: Ollama's /api/chat (streamed) or /v1/chat/completions; OPENAI_API_KEY is sent if set",
  },
  'judge-model': {
    type: 'string',
    value: 'NAME',
    default: 'llama3',
    defaultText: "llama3, the book's",
    help: "the judge; with Ollama, 'ollama pull NAME' first",
  },
  timeout: {
    type: 'number',
    value: 'S',
    min: 0,
    exclusiveMin: true,
    max: MAX_TIMEOUT_S,
    default: 120,
    help: 'seconds one request may take',
  },
  retries: {
    type: 'integer',
    value: 'N',
    min: 0,
    max: 20,
    default: 3,
    help: 'tries after a timeout, a dropped connection, a garbled reply or HTTP 429/5xx, waiting 1 s, then twice as long each time up to 60 s',
  },
  out: {
    type: 'string',
    value: 'FILE',
    help: 'also write each entry with its "score" (null where skipped or failed), as the judging goes; run again with the same FILE to resume where it stopped',
  },
  force: { type: 'boolean', help: 'start over: replace --out FILE instead of resuming from it' },
} as const satisfies Flags;

export const judge = defineCommand({
  summary: "score a model's answers with a larger model (Ollama or OpenAI-compatible)",
  description: `Asks a judge model to score each "model_response" of FILE (written by 'scratchgpt instruct
respond') from 0 to 100 against the expected output, with the book's prompt (seed 123, temperature 0).
An empty response scores 0 without asking; an answer that is not an integer from 0 to 100 is skipped
and counted, and so is a response the judge keeps failing on (three in a row stop the run).`,
  flags: judgeFlags,
  notes: `With --json: {"average","scored","skipped","failed","total","resumed","histogram",
"skippedAnswers":[{"index","answer"}],"failedEntries":[{"index","error"}]}.`,
  async run(values, context) {
    const path = values.responses;
    const client = judgeClient(values);
    const out = outputPathFlag(values, 'out');
    const outExists = out !== undefined && (await checkOutputFile(out, '--out'));
    const entries = await readResponses(path);
    const previous = outExists && values.force !== true ? await readEarlierVerdicts(out, entries) : [];
    const results = out === undefined ? undefined : new JudgeResultsFile(out);
    const { output } = context;
    const resumed = previous.filter((verdict) => verdict !== undefined && verdict.kind !== 'failed').length;
    if (resumed > 0)
      output.note(`resuming: ${resumed} of ${entries.length} responses judged already in ${out}`);
    output.note(`judging ${entries.length} responses with ${client.model} at ${client.url}`);
    const progress = new CountProgress(output.isTTY, 'judging');
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.on('SIGINT', onInterrupt);
    let summary: JudgeSummary | undefined;
    let stoppedBy: JudgeError | undefined;
    try {
      const stream = judgeResponses(entries, client, { signal: controller.signal, previous });
      let next = await stream.next();
      for (; !next.done; next = await stream.next()) {
        const { index, verdict, done, total } = next.value;
        await results?.add(judgeRecord(entries[index]!, verdict));
        progress.update(done, total);
      }
      summary = next.value;
    } catch (error) {
      if (!(error instanceof JudgeError)) throw error;
      stoppedBy = error;
    } finally {
      progress.done();
      process.off('SIGINT', onInterrupt);
      await results?.save();
    }
    if (summary === undefined) return stopped(stoppedBy!, entries.length, results, output.note);
    const result = {
      average: Number.isNaN(summary.average) ? null : summary.average,
      scored: summary.scored,
      skipped: summary.skipped.length,
      failed: summary.failed.length,
      total: entries.length,
      resumed,
      histogram: summary.histogram,
      skippedAnswers: summary.skipped,
      failedEntries: summary.failed,
    };
    output.result(result, () => report(summary, entries.length));
    return 0;
  },
});

function judgeClient(values: FlagValues<typeof judgeFlags>): JudgeClient {
  const { api, timeout, retries } = values;
  const apiKey = process.env.OPENAI_API_KEY;
  try {
    return createJudgeClient({
      endpoint: values.endpoint,
      ...(api ? { api: api satisfies JudgeApi } : {}),
      model: values['judge-model'],
      timeoutMs: timeout * 1000,
      retries,
      ...(apiKey ? { apiKey } : {}),
    });
  } catch (error) {
    if (error instanceof JudgeError) throw new UsageError(`--endpoint: ${error.message}`);
    throw error;
  }
}

/** A run that ended early: what stopped it, and where the responses judged so far are. */
function stopped(
  error: JudgeError,
  total: number,
  results: JudgeResultsFile | undefined,
  note: (line: string) => void,
): number {
  const kept =
    results === undefined
      ? ''
      : `; ${results.count} of ${total} responses judged so far are in ${results.path} (run the same command again to go on)`;
  if (error.failure !== 'aborted') throw new CommandError(`${judgeFailure(error)}${kept}`);
  note(`stopped (Ctrl-C) before every response was judged${kept}`);
  return 130;
}

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
    case 'no-endpoint':
      return `${error.message}: point --endpoint at the judge's server (--api openai for an OpenAI-compatible one)`;
    default:
      return error.message;
  }
}

function report(summary: JudgeSummary, total: number): string {
  const { skipped, failed } = summary;
  const lines = [
    `average score ${Number.isNaN(summary.average) ? '–' : summary.average.toFixed(2)} over ${summary.scored} of ${total} responses` +
      (skipped.length > 0
        ? ` (${count(skipped.length, 'answer')} skipped: not an integer from 0 to 100)`
        : ''),
  ];
  if (failed.length > 0) {
    lines.push(
      `${count(failed.length, 'response')} not judged, the judge kept failing (with --out, a rerun asks again for ${failed.length === 1 ? 'it' : 'those'} only); the first: ${failed[0]!.error}`,
    );
  }
  const most = Math.max(1, ...summary.histogram);
  summary.histogram.forEach((count, bin) => {
    const range = bin === 9 ? '90–100' : `${bin * 10}–${bin * 10 + 9}`;
    lines.push(`  ${range.padStart(6)} ${'█'.repeat(Math.round((count / most) * 30)).padEnd(30)} ${count}`);
  });
  return lines.join('\n');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

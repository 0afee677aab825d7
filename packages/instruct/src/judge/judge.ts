/**
 * Scoring answers with a judge, as the book's section 7.8: each answer is scored from 0 to 100;
 * an empty answer scores 0 without asking, an answer the judge does not turn into an integer is
 * skipped and counted, and so is an entry the judge keeps failing on. Yields after each entry (so a
 * caller can keep the work as it goes), returns the summary; a rerun given the verdicts so far
 * resumes where it stopped.
 */
import { InstructionDataError, type InstructionEntry, readRecords, toEntry } from '../entry.js';
import type { JudgeClient } from './client.js';
import { JudgeError, type JudgeFailure } from './errors.js';
import { parseScore, scoringPrompt } from './scoring-prompt.js';

export interface JudgedEntry extends InstructionEntry {
  model_response: string;
}

/**
 * Answers as `instruct respond` writes them (the book's instruction-data-with-response.json): entries
 * with a `model_response` string, from a JSON array or JSON lines.
 */
export function parseJudgedEntries(text: string, source = 'the responses'): JudgedEntry[] {
  return readRecords(text, source).map(({ value, where }) => {
    const entry = toEntry(value, `${source}: ${where}`);
    const response = (value as Record<string, unknown>).model_response;
    if (typeof response !== 'string') {
      throw new InstructionDataError(`${source}: ${where} has no "model_response" string`);
    }
    return { ...entry, model_response: response };
  });
}

export interface SkippedAnswer {
  /** The entry's index in the responses. */
  index: number;
  /** What the judge said instead of a score. */
  answer: string;
}

export interface FailedEntry {
  /** The entry's index in the responses. */
  index: number;
  /** Why the judge gave no answer, after its retries. */
  error: string;
}

/** What became of one entry: a score, an answer that is no score, or no answer at all. */
export type Verdict =
  | { kind: 'scored'; score: number }
  | { kind: 'skipped'; answer: string }
  | { kind: 'failed'; failure: JudgeFailure; error: string };

export interface JudgeSummary {
  /** Per entry: its score, or `null` when the answer was skipped or the judge failed. */
  scores: Array<number | null>;
  /** Mean of the scores given (NaN when none was). */
  average: number;
  scored: number;
  skipped: SkippedAnswer[];
  failed: FailedEntry[];
  /** Scores in ten bins: 0–9, 10–19, …, 80–89, 90–100. */
  histogram: number[];
}

export interface JudgeProgress {
  done: number;
  total: number;
  /** The entry just judged. */
  index: number;
  verdict: Verdict;
  score: number | null;
  /** The verdict came from `previous`, without asking. */
  resumed: boolean;
}

export interface JudgeOptions {
  signal?: AbortSignal;
  /** Verdicts of an earlier run, by index: kept as they are, except failures, which are asked again. */
  previous?: ReadonlyArray<Verdict | undefined>;
  /** Failed entries in a row that end the run: the judge itself is broken, not one entry (default 3). */
  maxFailuresInARow?: number;
}

/**
 * Failures that one entry's prompt can cause (a reply cut short or garbled after every retry, a
 * timeout, an error status): the entry is skipped. Any other (no server, no model, no key, the
 * caller's stop) would fail every entry alike and ends the run.
 */
const entryFailures: ReadonlySet<JudgeFailure> = new Set(['server', 'timeout']);

export async function* judgeResponses(
  entries: readonly JudgedEntry[],
  client: JudgeClient,
  options: JudgeOptions = {},
): AsyncGenerator<JudgeProgress, JudgeSummary> {
  const maxFailuresInARow = options.maxFailuresInARow ?? 3;
  const verdicts: Verdict[] = [];
  let failuresInARow = 0;
  for (const [index, entry] of entries.entries()) {
    const known = options.previous?.[index];
    const resumed = known !== undefined && known.kind !== 'failed';
    const asked = !resumed && !unanswered(entry);
    const verdict = resumed ? known : await judgeOne(entry, client, options.signal);
    verdicts.push(verdict);
    // Only the judge's replies count: a response scored without asking says nothing about it.
    if (asked) failuresInARow = verdict.kind === 'failed' ? failuresInARow + 1 : 0;
    const score = verdict.kind === 'scored' ? verdict.score : null;
    yield { done: index + 1, total: entries.length, index, verdict, score, resumed };
    if (verdict.kind === 'failed' && failuresInARow >= maxFailuresInARow) {
      throw new JudgeError(
        verdict.failure,
        `the judge failed ${failuresInARow} responses in a row, the last: ${verdict.error}`,
      );
    }
  }
  return summarizeVerdicts(verdicts);
}

/** An empty answer scores 0 without asking, as in the book. */
function unanswered(entry: JudgedEntry): boolean {
  return entry.model_response.trim() === '';
}

async function judgeOne(entry: JudgedEntry, client: JudgeClient, signal?: AbortSignal): Promise<Verdict> {
  if (unanswered(entry)) return { kind: 'scored', score: 0 };
  let answer: string;
  try {
    answer = await client.ask(scoringPrompt(entry, entry.model_response), signal);
  } catch (error) {
    if (error instanceof JudgeError && entryFailures.has(error.failure))
      return { kind: 'failed', failure: error.failure, error: error.message };
    throw error;
  }
  const score = parseScore(answer);
  return score === null ? { kind: 'skipped', answer } : { kind: 'scored', score };
}

/** The summary of one verdict per entry. */
export function summarizeVerdicts(verdicts: readonly Verdict[]): JudgeSummary {
  const skipped: SkippedAnswer[] = [];
  const failed: FailedEntry[] = [];
  verdicts.forEach((verdict, index) => {
    if (verdict.kind === 'skipped') skipped.push({ index, answer: verdict.answer });
    if (verdict.kind === 'failed') failed.push({ index, error: verdict.error });
  });
  const scores = verdicts.map((verdict) => (verdict.kind === 'scored' ? verdict.score : null));
  return summarize(scores, skipped, failed);
}

export function summarize(
  scores: Array<number | null>,
  skipped: SkippedAnswer[] = [],
  failed: FailedEntry[] = [],
): JudgeSummary {
  const given = scores.filter((score): score is number => score !== null);
  const histogram = Array.from({ length: 10 }, () => 0);
  for (const score of given) histogram[Math.min(9, Math.floor(score / 10))]! += 1;
  const average = given.length === 0 ? Number.NaN : given.reduce((sum, s) => sum + s, 0) / given.length;
  return { scores, average, scored: given.length, skipped, failed, histogram };
}

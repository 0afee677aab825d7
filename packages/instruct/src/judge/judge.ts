/**
 * Scoring answers with a judge, as the book's section 7.8: each answer is scored from 0 to 100;
 * an empty answer scores 0 without asking, an answer the judge does not turn into an integer is
 * skipped and counted. Yields after each entry, returns the summary.
 */
import { InstructionDataError, type InstructionEntry, readRecords, toEntry } from '../entry.js';
import type { JudgeClient } from './client.js';
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

export interface JudgeSummary {
  /** Per entry: its score, or `null` when the judge's answer was skipped. */
  scores: Array<number | null>;
  /** Mean of the scores given (NaN when none was). */
  average: number;
  scored: number;
  skipped: SkippedAnswer[];
  /** Scores in ten bins: 0–9, 10–19, …, 80–89, 90–100. */
  histogram: number[];
}

export interface JudgeProgress {
  done: number;
  total: number;
  score: number | null;
}

export async function* judgeResponses(
  entries: readonly JudgedEntry[],
  client: JudgeClient,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<JudgeProgress, JudgeSummary> {
  const scores: Array<number | null> = [];
  const skipped: SkippedAnswer[] = [];
  for (const [index, entry] of entries.entries()) {
    let score: number | null = 0;
    if (entry.model_response.trim() !== '') {
      const answer = await client.ask(scoringPrompt(entry, entry.model_response), options.signal);
      score = parseScore(answer);
      if (score === null) skipped.push({ index, answer });
    }
    scores.push(score);
    yield { done: index + 1, total: entries.length, score };
  }
  return summarize(scores, skipped);
}

export function summarize(scores: Array<number | null>, skipped: SkippedAnswer[] = []): JudgeSummary {
  const given = scores.filter((score): score is number => score !== null);
  const histogram = Array.from({ length: 10 }, () => 0);
  for (const score of given) histogram[Math.min(9, Math.floor(score / 10))]! += 1;
  const average = given.length === 0 ? Number.NaN : given.reduce((sum, s) => sum + s, 0) / given.length;
  return { scores, average, scored: given.length, skipped, histogram };
}

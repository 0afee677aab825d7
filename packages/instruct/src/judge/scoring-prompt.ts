/**
 * The book's request to the judge (section 7.8): the instruction as the Alpaca prompt, the expected
 * output and the model's answer, to be scored from 0 to 100 with a bare integer.
 */
import type { InstructionEntry } from '../entry.js';
import { alpaca } from '../prompt-format.js';

export function scoringPrompt(entry: InstructionEntry, response: string): string {
  return (
    `Given the input \`${alpaca.prompt(entry)}\` and correct output \`${entry.output}\`, ` +
    `score the model response \`${response}\` on a scale from 0 to 100, where 100 is the best score. ` +
    'Respond with the integer number only.'
  );
}

/**
 * The judge's answer as a score: an integer from 0 to 100, whitespace around it allowed (as Python's
 * `int()` reads it in the book); anything else is `null`, an answer to skip and count.
 */
export function parseScore(answer: string): number | null {
  const text = answer.trim();
  if (!/^\d{1,3}$/.test(text)) return null;
  const score = Number(text);
  return score <= 100 ? score : null;
}

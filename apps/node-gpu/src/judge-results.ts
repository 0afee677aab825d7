/**
 * `judge --out FILE`: the responses judged so far, in order, each with its "score" (null where it has
 * none) and the judge's "judge_answer" (no score in it) or "judge_error" (no answer at all). The file
 * is written as the judging goes, so a stopped run keeps its work, and a rerun resumes from it.
 */
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import type { JudgedEntry, Verdict } from '@scratchgpt/instruct';
import { readText } from './data.js';
import { CommandError } from './errors.js';

export interface JudgeRecord extends JudgedEntry {
  score: number | null;
  judge_answer?: string;
  judge_error?: string;
}

export function judgeRecord(entry: JudgedEntry, verdict: Verdict): JudgeRecord {
  const { instruction, input, output, model_response } = entry;
  const record: JudgeRecord = { instruction, input, output, model_response, score: null };
  if (verdict.kind === 'scored') record.score = verdict.score;
  if (verdict.kind === 'skipped') record.judge_answer = verdict.answer;
  if (verdict.kind === 'failed') record.judge_error = verdict.error;
  return record;
}

/**
 * The verdicts an earlier run left in `path`, by index (failures are not kept: they are asked again).
 * A file that is not results of these same responses is refused, so nothing is overwritten by mistake.
 */
export async function readEarlierVerdicts(
  path: string,
  entries: readonly JudgedEntry[],
): Promise<Array<Verdict | undefined>> {
  const text = await readText(path, '--out');
  const refuse = (why: string) =>
    new CommandError(`--out ${path} ${why}: choose another file, or pass --force to start over`);
  let records: unknown;
  try {
    records = JSON.parse(text);
  } catch {
    throw refuse("is not a judge's results (not JSON)");
  }
  if (!Array.isArray(records) || records.length > entries.length)
    throw refuse('holds results of other responses');
  return records.map((record: unknown, index) => {
    if (!sameEntry(record, entries[index]!))
      throw refuse(`holds results of other responses (entry ${index})`);
    return earlierVerdict(record as Partial<JudgeRecord>);
  });
}

function sameEntry(record: unknown, entry: JudgedEntry): boolean {
  if (typeof record !== 'object' || record === null) return false;
  const fields = record as Record<string, unknown>;
  return (['instruction', 'input', 'output', 'model_response'] as const).every(
    (key) => fields[key] === entry[key],
  );
}

function earlierVerdict(record: Partial<JudgeRecord>): Verdict | undefined {
  const { score, judge_answer } = record;
  if (typeof score === 'number' && Number.isInteger(score) && score >= 0 && score <= 100)
    return { kind: 'scored', score };
  if (score === null && typeof judge_answer === 'string') return { kind: 'skipped', answer: judge_answer };
  return undefined;
}

/** Writes the records atomically: after an entry when `everyMs` have passed since the last write, and on `save`. */
export class JudgeResultsFile {
  readonly #records: JudgeRecord[] = [];
  #savedAt = performance.now();

  constructor(
    readonly path: string,
    private readonly everyMs = 1_000,
  ) {}

  get count(): number {
    return this.#records.length;
  }

  async add(record: JudgeRecord): Promise<void> {
    this.#records.push(record);
    if (performance.now() - this.#savedAt >= this.everyMs) await this.save();
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(this.#records, null, 2)}\n`);
    this.#savedAt = performance.now();
  }
}

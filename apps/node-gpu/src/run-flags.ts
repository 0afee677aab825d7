/**
 * The flags a resumed run checks against the run it resumes. A resumed run sees the same batches (and
 * a classifier keeps its model), so each command has a table: every flag that would change them, and
 * how it must relate to the saved run. One function reads any command's table.
 */
import { UsageError } from './errors.js';

/**
 * How a flag must relate to the saved run: given, it must equal the value read from the run's
 * manifest; or `kept`, the run keeps its own, and the flag may not be given at all.
 */
export type ResumeRule<M> = ((manifest: M) => unknown) | 'kept';

export interface ResumeTable<M> {
  /** The command, which starts each error line. */
  command: string;
  /** Flag (`--batch-size`) → its rule, in the order they are checked. */
  flags: Record<string, ResumeRule<M>>;
  /** The line for a flag given a value other than the run's. */
  differs(flag: string, given: unknown, saved: unknown, run: { directory: string; manifest: M }): string;
  /** The line for `kept` flags that were given (default: the directory keeps them). */
  kept?(flags: string[], directory: string): string;
}

/**
 * Refuses the flags `given` (flag → value; undefined: not given) that the table says may not be
 * given, then the first one that differs from the run. Without a manifest (training on from a saved
 * model that is not a run) only the `kept` rules apply.
 */
export function checkResumeFlags<M>(
  table: ResumeTable<M>,
  given: Record<string, unknown>,
  directory: string,
  manifest?: M,
): void {
  const asked = Object.entries(table.flags).filter(([flag]) => given[flag] !== undefined);
  const kept = asked.filter(([, rule]) => rule === 'kept').map(([flag]) => flag);
  if (kept.length > 0) {
    const line = table.kept?.(kept, directory) ?? `${directory} keeps its ${kept.join(', ')}; leave them out`;
    throw new UsageError(`${table.command}: ${line}`);
  }
  if (manifest === undefined) return;
  for (const [flag, rule] of asked) {
    if (rule === 'kept') continue;
    const saved = rule(manifest);
    if (given[flag] !== saved) {
      const line = table.differs(flag, given[flag], saved, { directory, manifest });
      throw new UsageError(`${table.command}: ${line}`);
    }
  }
}

/**
 * Where output goes: results on stdout (one JSON object per line with --json), everything for people
 * (backend choice, progress) on stderr, so `--json` output can be piped.
 */
export interface Output {
  json: boolean;
  /** A result: printed as JSON with --json, else as text. */
  result(value: unknown, text: () => string): void;
  /** One JSON line with --json (events), or nothing. */
  event(value: unknown): void;
  /** A line for people, on stderr. */
  note(line: string): void;
  /** Raw text on stdout (streamed generation). */
  write(text: string): void;
  readonly isTTY: boolean;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, text) {
      process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text()}\n`);
    },
    event(value) {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    note(line) {
      process.stderr.write(`${line}\n`);
    },
    write(text) {
      process.stdout.write(text);
    },
    isTTY: process.stderr.isTTY === true,
  };
}

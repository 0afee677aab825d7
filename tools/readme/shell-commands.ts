/**
 * The shell commands of a README: every line of its ```sh blocks, continuation lines (`\`) joined and
 * comments dropped, with the line it starts on.
 */
import type { Readme } from './files.js';

export interface ReadmeCommand {
  readme: string;
  /** 1-based line of the command's first line. */
  line: number;
  command: string;
}

const shellFence = /^\s*```(sh|bash|shell)\s*$/;
const closingFence = /^\s*```\s*$/;

export function shellCommands(readme: Readme): ReadmeCommand[] {
  const lines = readme.text.split('\n');
  const commands: ReadmeCommand[] = [];
  let inShell = false;
  let pending: { line: number; text: string } | undefined;
  lines.forEach((line, index) => {
    if (!inShell) {
      inShell = shellFence.test(line);
      return;
    }
    if (closingFence.test(line)) {
      inShell = false;
      return;
    }
    const text = withoutComment(line).trimEnd();
    const joined = pending ? `${pending.text} ${text.trim()}` : text.trim();
    const start = pending?.line ?? index + 1;
    if (joined.endsWith('\\')) {
      pending = { line: start, text: joined.slice(0, -1).trimEnd() };
      return;
    }
    pending = undefined;
    if (joined !== '') commands.push({ readme: readme.path, line: start, command: joined });
  });
  return commands;
}

/** The line up to a `#` that starts a shell comment: at the start or after a space, outside quotes. */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i);
    }
  }
  return line;
}

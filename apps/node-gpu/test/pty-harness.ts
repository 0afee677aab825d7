/**
 * The built CLI in a real pseudo-terminal: util-linux's `script` (Debian's essential bsdutils) runs
 * the command on a pty and relays what the test writes as keystrokes, without a native module.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath } from './cli-harness.js';

export interface Terminal {
  /** Everything the terminal showed, without cursor-control sequences. */
  screen(): string;
  /** Types keys: '\r' is Enter, '\x03' Ctrl-C, '\x04' Ctrl-D. */
  type(keys: string): void;
  /** Waits until the screen (from `from` on) matches. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<void>;
  exited(): Promise<number | null>;
}

export function openTerminal(args: string[]): Terminal {
  const quoted = [process.execPath, cliPath, ...args]
    .map((arg) => `'${arg.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const child: ChildProcess = spawn('script', ['-qfec', quoted, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
  const screen = () => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  return {
    screen,
    type: (keys) => child.stdin?.write(keys),
    async waitFor(pattern, from = 0, timeoutMs = 120_000) {
      const started = Date.now();
      while (!pattern.test(screen().slice(from))) {
        if (Date.now() - started > timeoutMs) {
          child.kill();
          throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen().slice(from)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exited: () => closed,
  };
}

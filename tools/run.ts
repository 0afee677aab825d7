/** Runs a program (or a shell command line) in a child process and collects what it printed. */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (with its whole process group) after this many seconds. */
  timeoutSeconds?: number;
}

export function run(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout also stops what it started (servers, workers).
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer =
      options.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[stopped after ${options.timeoutSeconds} s]`;
            killGroup(child.pid);
          }, options.timeoutSeconds * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Runs one line through bash, as a reader would paste it into a terminal. */
export function runShell(line: string, options: RunOptions): Promise<RunResult> {
  return run('bash', ['-o', 'pipefail', '-c', line], options);
}

/** Throws with the command's output unless it exited 0. */
export async function runOk(program: string, args: readonly string[], options: RunOptions): Promise<string> {
  const result = await run(program, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${program} ${args.join(' ')} exited ${result.code} in ${options.cwd}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

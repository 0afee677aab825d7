/** Runs the built CLI (dist/cli.js) in a child process, as a user would. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const versePath = fileURLToPath(new URL('../../../data/the-verdict.txt', import.meta.url));

/** A model small enough to train in seconds, with GPT-2's vocabulary so it reads BPE tokens. */
export const tinyConfig = {
  vocabSize: 50257,
  contextLength: 16,
  embDim: 16,
  nHeads: 2,
  nLayers: 1,
  dropRate: 0,
  qkvBias: false,
};

/** A new temporary folder holding `tiny.json` (the tiny config, with `overrides`): returns both paths. */
export async function tinyWorkspace(
  prefix: string,
  overrides: Partial<typeof tinyConfig> = {},
): Promise<{ work: string; configPath: string }> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const configPath = join(work, 'tiny.json');
  await writeFile(configPath, JSON.stringify({ ...tinyConfig, ...overrides }));
  return { work, configPath };
}

/** The environment of a CLI that talks to a loopback Hub, with its caches under `work`. */
export function loopbackHubEnv(endpoint: string, work: string): Record<string, string | undefined> {
  return {
    HF_ENDPOINT: endpoint,
    HF_HUB_CACHE: join(work, 'cache'),
    HF_TOKEN: undefined,
    HF_HUB_OFFLINE: undefined,
    SCRATCHGPT_CACHE: join(work, 'own'),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(cliPath))
    throw new Error(`${cliPath} is missing: run 'pnpm --filter scratchgpt-cli build' first`);
}

export function runCli(
  args: string[],
  options: {
    onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void;
    input?: string;
    /** Added to this process's environment. */
    env?: Record<string, string | undefined>;
    /** The working directory (default: this process's). */
    cwd?: string;
    /** Called with the child once it is started (to signal it). */
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(process.execPath, [cliPath, ...args], {
      stdio: [stdin, 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    options.onSpawn?.(child);
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    // Both are piped (stdio above), so never null.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk, child);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON lines a --json command printed. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** stderr without the backend report: what the command itself said (backends' own warnings stay). */
export function ownStderr(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('backend: ') && !line.startsWith('  skipped '));
}

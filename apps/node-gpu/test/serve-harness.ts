/** `scratchgpt serve` in a child process on a free port, and the tiny models it serves in the tests. */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliResult, runCli, tinyConfig } from './cli-harness.js';
import { oneTokenModel } from './one-token-model.js';

/** Every test computes on wasm, so the server and `generate` pick the same tokens. */
export const backend = ['--backend', 'wasm'];

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<CliResult>;
  /** SIGINT, then the exit. */
  stop(): Promise<CliResult>;
}

/** Starts `scratchgpt serve ARGS --port 0 --json` and waits for the address it listens on. */
export async function startServe(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<ServeProcess> {
  let child: ChildProcess | undefined;
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  let stdout = '';
  const exited = runCli(['serve', ...args, '--port', '0', '--json', ...backend], {
    env,
    onSpawn: (spawned) => {
      child = spawned;
    },
    onStdout: (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((each) => each.includes('"listening"'));
      if (line) listening((JSON.parse(line) as { url: string }).url);
    },
  });
  const first = await Promise.race([url, exited]);
  if (typeof first !== 'string') throw new Error(`serve exited with ${first.code}: ${first.stderr}`);
  return {
    url: first,
    child: child!,
    exited,
    stop: () => {
      child!.kill('SIGINT');
      return exited;
    },
  };
}

export interface ServedModels {
  work: string;
  /** A pretraining run: a plain GPT, completions only. */
  pretrained: string;
  /** An instruction-tuning run from it: a chat model in the Alpaca format. */
  tuned: string;
  /** A checkpoint whose every next token is <|endoftext|>. */
  terse: string;
}

/** The context holds the judge's scoring prompt (about 150 tokens) with room for an answer. */
export const serveConfig = { ...tinyConfig, contextLength: 256 };

/** A pretraining run of one step in a new folder `work`: the quickest model to serve. */
export async function makePretrained(): Promise<{ work: string; pretrained: string }> {
  const work = await mkdtemp(join(tmpdir(), 'scratchgpt-serve-'));
  await writeFile(join(work, 'tiny.json'), JSON.stringify(serveConfig));
  const pretrained = join(work, 'pretrained');
  const train = ['train', '--config', join(work, 'tiny.json'), '--steps', '1', '--eval-every', '0'];
  const pre = await runCli([...train, '--out', pretrained, ...backend]);
  expect(pre.code, pre.stderr).toBe(0);
  return { work, pretrained };
}

export async function makeServedModels(): Promise<ServedModels> {
  const { work, pretrained } = await makePretrained();
  const tuned = join(work, 'tuned');
  const instruct = ['instruct', 'train', '--model', pretrained, '--out', tuned, '--steps', '1'];
  const result = await runCli([...instruct, '--batch-size', '2', '--eval-every', '0', ...backend]);
  expect(result.code, result.stderr).toBe(0);
  const step = join(pretrained, 'checkpoints', 'step-000001');
  const terse = await oneTokenModel(step, join(work, 'terse'), 50256);
  return { work, pretrained, tuned, terse };
}

/** Polls GET /health until `done` holds of it (a bounded wait, not a timing). */
export async function waitForHealth(
  url: string,
  done: (health: HealthReport) => boolean,
  headers: Record<string, string> = {},
): Promise<HealthReport> {
  let last: HealthReport | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = (await (await fetch(`${url}/health`, { headers })).json()) as HealthReport;
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`/health never reached the state waited for; last: ${JSON.stringify(last)}`);
}

export interface HealthReport {
  status: string;
  models: string[];
  queue: { running: number; waiting: number; limit: number };
  tensors: number;
}

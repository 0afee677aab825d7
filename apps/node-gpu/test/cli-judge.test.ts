/**
 * `judge` against loopback judges that fail, through the built CLI: its work is kept in --out as it
 * goes, a rerun resumes, an entry the judge keeps failing on is skipped and counted, and the output
 * path and the timeout are checked before anyone is asked.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type JudgeServer,
  startJudgeServer,
} from '../../../packages/instruct/src/test-support/judge-server.js';
import { assertBuilt, ownStderr, runCli } from './cli-harness.js';

const entry = { instruction: 'Name a primary color.', input: '', output: 'Red.' };
const responses = ['Red.', 'Blue.', 'Banana.', '', 'Green.'].map((model_response) => ({
  ...entry,
  model_response,
}));
const scores: Record<string, string> = { 'Red.': '100', 'Blue.': '90', 'Banana.': 'no idea', 'Green.': '40' };
const answer = (prompt: string) => scores[asked(prompt)] ?? '?';
/** The response a scoring prompt asks about. */
const asked = (prompt: string) => /response `([^`]*)`/.exec(prompt)?.[1] ?? '';

let work: string;
let responsesFile: string;
let server: JudgeServer | undefined;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-judge-'));
  responsesFile = join(work, 'responses.json');
  await writeFile(responsesFile, JSON.stringify(responses));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const judge = (...args: string[]) => ['judge', '--responses', responsesFile, ...args];
const readResults = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as unknown[];

describe('judge keeps its work', () => {
  it('skips and counts a response the judge keeps failing on, and judges the others', async () => {
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (_, prompt) => (asked(prompt) === 'Blue.' ? 'garbage' : undefined),
    });
    const out = join(work, 'skipped.json');
    const result = await runCli([
      ...judge('--endpoint', server.url, '--retries', '1', '--out', out),
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      average: (100 + 0 + 40) / 3,
      scored: 3,
      skipped: 1,
      failed: 1,
      failedEntries: [
        {
          index: 1,
          error: `${server.url}/api/chat streamed a line that is not JSON: <html>this is not JSON</html>; tried 2 times`,
        },
      ],
    });
    const written = await readResults(out);
    expect(written.map((record) => (record as { score: unknown }).score)).toEqual([100, null, null, 0, 40]);
    expect(written[1]).toMatchObject({ judge_error: expect.stringContaining('not JSON') });
    expect(written[2]).toMatchObject({ judge_answer: 'no idea' });
    const text = await runCli(judge('--endpoint', server.url, '--retries', '0'));
    expect(text.stdout.split('\n').slice(0, 2)).toEqual([
      'average score 46.67 over 3 of 5 responses (1 answer skipped: not an integer from 0 to 100)',
      `1 response not judged, the judge kept failing (with --out, a rerun asks again for it only); the first: ${server.url}/api/chat streamed a line that is not JSON: <html>this is not JSON</html>; tried once`,
    ]);
  });

  it('writes what it judged before the server went away, and a rerun asks only for the rest', async () => {
    // A server that stops being Ollama after two answers: the run ends, the two are kept.
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (n) => (n > 2 ? 'not-ollama-404' : undefined),
    });
    const out = join(work, 'resumed.json');
    const first = await runCli(judge('--endpoint', server.url, '--out', out));
    expect([first.code, ownStderr(first.stderr).at(-1)]).toEqual([
      1,
      `scratchgpt: ${server.url}/api/chat answered HTTP 404 (<html><body><h1>404 Not Found</h1></body></html>): no Ollama chat API (/api/chat) there: point --endpoint at the judge's server (--api openai for an OpenAI-compatible one); 2 of 5 responses judged so far are in ${out} (run the same command again to go on)`,
    ]);
    expect((await readResults(out)).map((record) => (record as { score: unknown }).score)).toEqual([100, 90]);
    await server.close();

    server = await startJudgeServer({ models: ['llama3'], answer });
    const again = await runCli([...judge('--endpoint', server.url, '--out', out), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(ownStderr(again.stderr)[0]).toBe(`resuming: 2 of 5 responses judged already in ${out}`);
    expect(JSON.parse(again.stdout)).toMatchObject({ scored: 4, skipped: 1, resumed: 2, total: 5 });
    // Banana and Green only: Red and Blue were judged, the empty response scores 0 unasked.
    expect(server.requests).toHaveLength(2);
    expect((await readResults(out)).map((record) => (record as { score: unknown }).score)).toEqual([
      100,
      90,
      null,
      0,
      40,
    ]);
    const forced = await runCli([...judge('--endpoint', server.url, '--out', out, '--force'), '--json']);
    expect(JSON.parse(forced.stdout)).toMatchObject({ resumed: 0 });
    expect(server.requests).toHaveLength(2 + 4);
  });

  it('on Ctrl-C, writes the responses judged so far and exits 130', async () => {
    let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
    server = await startJudgeServer({
      models: ['llama3'],
      answer,
      fail: (n) => {
        if (n < 2) return undefined;
        child?.kill('SIGINT');
        return 'hang';
      },
    });
    const out = join(work, 'interrupted.json');
    const result = await runCli(judge('--endpoint', server.url, '--out', out), {
      onSpawn: (spawned) => {
        child = spawned;
      },
    });
    expect([result.code, ownStderr(result.stderr).at(-1)]).toEqual([
      130,
      `stopped (Ctrl-C) before every response was judged; 1 of 5 responses judged so far are in ${out} (run the same command again to go on)`,
    ]);
    expect(await readResults(out)).toEqual([{ ...responses[0], score: 100 }]);
  });
});

describe('judge checks before asking', () => {
  it('refuses an output path it could not write, without asking the judge', async () => {
    server = await startJudgeServer({ models: ['llama3'], answer });
    const here = await mkdtemp(join(work, 'outputs-'));
    const folder = join(here, 'a-folder');
    await mkdir(folder);
    const notResults = join(here, 'notes.txt');
    await writeFile(notResults, 'my notes\n');
    const cases: Array<[string, number, string]> = [
      ['', 2, `scratchgpt: --out is empty: give the path to write to`],
      [folder, 1, `scratchgpt: --out ${folder} is a directory: give a file name`],
      [
        join(here, 'missing', 'out.json'),
        1,
        `scratchgpt: --out ${join(here, 'missing', 'out.json')}: the folder ${join(here, 'missing')} does not exist: create it first`,
      ],
      [
        notResults,
        1,
        `scratchgpt: --out ${notResults} is not a judge's results (not JSON): choose another file, or pass --force to start over`,
      ],
    ];
    for (const [out, code, message] of cases) {
      const result = await runCli(judge('--endpoint', server.url, '--out', out), { cwd: here });
      expect([result.code, result.stderr.trim()], out).toEqual([code, message]);
    }
    expect(server.requests).toHaveLength(0);
    expect(await readFile(notResults, 'utf8')).toBe('my notes\n');
    expect((await readdir(here)).sort()).toEqual(['a-folder', 'notes.txt']);
  });

  it("refuses a timeout Node's timers cannot hold", async () => {
    const result = await runCli(judge('--endpoint', 'http://127.0.0.1:1', '--timeout', '3000000'));
    expect([result.code, result.stderr.trim()]).toEqual([
      2,
      'scratchgpt: --timeout must be at most 2147483, got 3000000',
    ]);
  });
});

describe('training commands', () => {
  it("refuse an empty --out in one line, creating nothing (it would mean './checkpoints')", async () => {
    const here = await mkdtemp(join(tmpdir(), 'scratchgpt-empty-out-'));
    const commands = [
      ['train', '--config', 'gpt-micro', '--steps', '1'],
      ['classify', 'train', '--config', 'gpt-micro', '--steps', '1'],
      ['instruct', 'train', '--model', 'gpt2', '--steps', '1'],
      ['demo', '--minutes', '0.01'],
    ];
    for (const command of commands) {
      const result = await runCli([...command, '--out', ''], { cwd: here, env: { HF_HUB_OFFLINE: '1' } });
      expect([result.code, ownStderr(result.stderr)], command.join(' ')).toEqual([
        2,
        ['scratchgpt: --out is empty: give the path to write to'],
      ]);
    }
    expect(existsSync(join(here, 'checkpoints'))).toBe(false);
    expect(await readdir(here)).toEqual([]);
  });
});

#!/usr/bin/env node
/**
 * Runs the built `scratchgpt judge` against a loopback judge that misbehaves in every way this file
 * knows: it never answers, stalls mid-reply, streams an endless line or an endless stream, sends lines
 * that are not JSON (or JSON nested a million deep), answers 404 without being Ollama, 500 with an
 * endless body, drops the connection, trickles a byte at a time, or mixes all of these at random.
 * Bad output paths (empty, a directory, a missing folder, a FIFO) are tried too; `--only TEXT` runs
 * only the cases whose name holds TEXT.
 *
 *   node apps/node-gpu/bench/hostile-judge.mjs [--random 20] [--seed 1] [--only TEXT]
 *
 * Each run gets `--timeout 0.5 --retries 1`; one that goes 10 s without a request reaching the server
 * is a hang (killed). Its peak resident memory is read from /proc while it runs. Work lost counts the scores the server gave that
 * are not in --out afterwards; each run that stopped is run again against a sound judge, which must
 * ask only for what is missing. Prints the counts as JSON. Needs a build (`pnpm build`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    random: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'pnpm --filter scratchgpt-cli... build' first`);
const HANG_MS = 10_000;
const RSS_LIMIT_MB = 1536;

/** The responses to judge and the judge's sound answer to each (the empty one is scored unasked). */
const sound = { 'Red.': '100', 'Blue.': '90', 'Green.': '40', 'Pink.': '55', 'Grey.': '70' };
const responses = ['Red.', 'Blue.', '', 'Green.', 'Pink.', 'Grey.'].map((model_response) => ({
  instruction: 'Name a primary color.',
  input: '',
  output: 'Red.',
  model_response,
}));

const faults = {
  hang: () => undefined,
  stall(response) {
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    response.write(`${JSON.stringify({ message: { content: '4' }, done: false })}\n`);
  },
  async 'endless-line'(response) {
    response.writeHead(200);
    await writeForever(response, () => '9'.repeat(65_536));
  },
  async 'endless-stream'(response) {
    response.writeHead(200);
    const line = `${JSON.stringify({ message: { content: '1' }, done: false })}\n`;
    await writeForever(response, () => line.repeat(500));
  },
  garbage(response) {
    response.writeHead(200);
    response.end('<html>not JSON</html>\n\u0000\u00ff\n');
  },
  'deep-json'(response) {
    response.writeHead(200);
    response.end(`${'['.repeat(1_000_000)}\n`);
  },
  'huge-line'(response) {
    response.writeHead(200);
    response.end(`${JSON.stringify({ message: { content: '7'.repeat(10 * 2 ** 20) }, done: true })}\n`);
  },
  'not-a-score'(response) {
    response.writeHead(200);
    response.end(`${JSON.stringify({ message: { content: 'I cannot say.' }, done: true })}\n`);
  },
  'error-line'(response) {
    response.writeHead(200);
    response.end(`${JSON.stringify({ error: 'model crashed\nwith a second line' })}\n`);
  },
  'not-ollama-404'(response) {
    response.writeHead(404, { 'content-type': 'text/html' });
    response.end('<html><h1>Not Found</h1></html>');
  },
  'status-500'(response) {
    response.writeHead(500);
    response.end('{"error":"internal"}');
  },
  async 'status-500-endless'(response) {
    response.writeHead(500);
    await writeForever(response, () => 'x'.repeat(65_536));
  },
  drop(response) {
    response.destroy();
  },
  'drop-mid-body'(response) {
    response.writeHead(200);
    response.write(`${JSON.stringify({ message: { content: '8' }, done: false })}\n`);
    setTimeout(() => response.destroy(), 50);
  },
  async trickle(response) {
    response.writeHead(200);
    const text = `${JSON.stringify({ message: { content: '60' }, done: true })}\n`;
    for (const character of text) {
      if (response.destroyed) return;
      response.write(character);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    response.end();
  },
};
const faultNames = Object.keys(faults);

/** Each case: which requests get which fault (by request number from 1), at which API. */
const cases = [
  ...faultNames.map((fault) => ({ name: `every request: ${fault}`, fault: () => fault })),
  ...faultNames.map((fault) => ({
    name: `every other request: ${fault}`,
    fault: (n) => (n % 2 === 0 ? fault : undefined),
  })),
  { name: 'openai: garbage', api: 'openai', fault: () => 'garbage' },
  { name: 'openai: endless body', api: 'openai', fault: () => 'endless-line' },
  { name: 'openai: not-ollama-404', api: 'openai', fault: () => 'not-ollama-404' },
  // Time enough to fill memory, were the reply not bounded.
  { name: 'endless line, --timeout 60', fault: () => 'endless-line', args: ['--timeout', '60'] },
  { name: 'endless stream, --timeout 60', fault: () => 'endless-stream', args: ['--timeout', '60'] },
  { name: 'endless 500 body, --timeout 60', fault: () => 'status-500-endless', args: ['--timeout', '60'] },
];
let state = Number(values.seed) >>> 0 || 1;
const random = () => {
  state = (state * 1_664_525 + 1_013_904_223) >>> 0;
  return state / 2 ** 32;
};
for (let i = 0; i < Number(values.random); i++) {
  const plan = Array.from({ length: 40 }, () =>
    random() < 0.5 ? faultNames[Math.floor(random() * faultNames.length)] : undefined,
  );
  cases.push({ name: `random ${i}: ${plan.slice(0, 8).join(',')}`, fault: (n) => plan[n - 1] });
}

const work = await mkdtemp(join(tmpdir(), 'scratchgpt-hostile-judge-'));
const responsesFile = join(work, 'responses.json');
await writeFile(responsesFile, JSON.stringify(responses));
const report = {
  runs: 0,
  hangsOver10s: 0,
  rssOver1_5GB: 0,
  unexpectedErrors: 0,
  multiLineErrors: 0,
  workLost: 0,
  resumedWrongly: 0,
  exitCodes: {},
  peakRssMB: 0,
  slowestSeconds: 0,
  problems: [],
};

const chosen = cases.filter((testCase) => values.only === undefined || testCase.name.includes(values.only));
for (const [index, testCase] of chosen.entries()) {
  const out = join(work, `out-${index}.json`);
  const server = await startServer(testCase.fault);
  const api = testCase.api ?? 'ollama';
  const flags = ['--endpoint', server.url, '--api', api, '--out', out, ...(testCase.args ?? [])];
  const run = await runJudge(flags, server);
  await server.close();
  record(testCase.name, run);
  const kept = await readScores(out);
  const lost = [...server.scored].filter((response) => kept.get(response) !== Number(sound[response]));
  report.workLost += lost.length;
  if (lost.length > 0) report.problems.push({ case: testCase.name, lost });
  if (run.code === 0 && kept.size === responses.length) continue;
  // A run that stopped or left some unjudged: a sound judge asks only for the rest.
  const soundServer = await startServer(() => undefined);
  const again = await runJudge(['--endpoint', soundServer.url, '--api', api, '--out', out], soundServer);
  await soundServer.close();
  record(`${testCase.name} (resumed)`, again);
  const judgedBefore = [...kept.keys()].filter((response) => response !== '');
  const askedAgain = soundServer.asked.filter((response) => judgedBefore.includes(response));
  const complete = (await readScores(out)).size === responses.length;
  if (again.code !== 0 || askedAgain.length > 0 || !complete) {
    report.resumedWrongly++;
    report.problems.push({ case: `${testCase.name} (resumed)`, code: again.code, askedAgain, complete });
  }
}

// Output paths that cannot be written: refused before the judge is asked.
const fifo = join(work, 'fifo');
spawnSync('mkfifo', [fifo]);
await mkdir(join(work, 'a-folder'), { recursive: true });
for (const out of ['', join(work, 'a-folder'), join(work, 'missing', 'out.json'), fifo]) {
  const server = await startServer(() => undefined);
  const run = await runJudge(['--endpoint', server.url, '--out', out], server);
  await server.close();
  record(`--out '${out}'`, run);
  if (run.code === 0 || server.asked.length > 0)
    report.problems.push({ case: `--out '${out}'`, code: run.code, asked: server.asked.length });
}

await rm(work, { recursive: true, force: true });
console.log(JSON.stringify(report, null, 2));

function record(name, run) {
  report.runs++;
  report.exitCodes[run.code] = (report.exitCodes[run.code] ?? 0) + 1;
  report.peakRssMB = Math.max(report.peakRssMB, run.peakRssMB);
  report.slowestSeconds = Math.max(report.slowestSeconds, Math.round(run.seconds * 10) / 10);
  const errors = run.stderr.split('\n').filter((line) => line.startsWith('scratchgpt: '));
  const problem = [];
  if (run.hung) {
    report.hangsOver10s++;
    problem.push('hung');
  }
  if (run.peakRssMB > RSS_LIMIT_MB) {
    report.rssOver1_5GB++;
    problem.push(`${run.peakRssMB} MB`);
  }
  if (/unexpected error|\n\s+at /.test(run.stderr)) {
    report.unexpectedErrors++;
    problem.push('unexpected');
  }
  const oneLine = errors.length === 1 && run.stderr.trim().endsWith(errors[0]);
  if (run.code !== 0 && run.code !== 130 && !oneLine) {
    report.multiLineErrors++;
    problem.push('not one line');
  }
  if (problem.length > 0) report.problems.push({ case: name, problem, stderr: run.stderr.slice(-400) });
}

async function readScores(path) {
  const text = await readFile(path, 'utf8').catch(() => '[]');
  const scores = new Map();
  for (const entry of JSON.parse(text)) {
    if (entry.score !== null || entry.judge_answer !== undefined)
      scores.set(entry.model_response, entry.score);
  }
  return scores;
}

/** The CLI's judge against `args`: killed after 10 s without a request to `server`; its peak memory. */
function runJudge(args, server) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [cli, 'judge', '--responses', responsesFile, '--timeout', '0.5', '--retries', '1', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let peakRssMB = 0;
    let hung = false;
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const watch = setInterval(() => {
      peakRssMB = Math.max(peakRssMB, peakRss(child.pid));
      if (performance.now() - Math.max(started, server.lastRequestAt) > HANG_MS && !hung) {
        hung = true;
        child.kill('SIGKILL');
      }
    }, 50);
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ code, stderr, hung, peakRssMB, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** The process's peak resident memory so far (Linux), in MB; 0 once it is gone. */
function peakRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** A loopback Ollama/OpenAI judge: sound answers, except where `fault(n)` names a fault. */
async function startServer(fault) {
  const scored = new Set();
  const asked = [];
  let requests = 0;
  const activity = { lastRequestAt: 0 };
  const server = createServer(async (request, response) => {
    activity.lastRequestAt = performance.now();
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const prompt = body.messages?.[0]?.content ?? '';
    const asking = /response `([^`]*)`/.exec(prompt)?.[1] ?? '';
    asked.push(asking);
    const chosen = fault(++requests);
    if (chosen !== undefined) return void (await faults[chosen](response));
    const answer = sound[asking] ?? '?';
    response.writeHead(200, { 'content-type': 'application/json' });
    const reply =
      request.url === '/api/chat'
        ? `${JSON.stringify({ message: { content: answer }, done: true })}\n`
        : JSON.stringify({ choices: [{ message: { content: answer } }] });
    response.end(reply, () => scored.add(asking));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    scored,
    asked,
    get lastRequestAt() {
      return activity.lastRequestAt;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function writeForever(response, piece) {
  const closed = new AbortController();
  response.once('close', () => closed.abort());
  while (!response.destroyed) {
    if (!response.write(piece()))
      await once(response, 'drain', { signal: closed.signal }).catch(() => undefined);
  }
}

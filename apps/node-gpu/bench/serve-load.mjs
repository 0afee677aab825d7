#!/usr/bin/env node
/**
 * Load on the built `scratchgpt serve`, on loopback only: a gpt-nano model (trained one step, so the
 * weights are real) served on a free port; N streaming clients ask for completions one after another
 * for D seconds; then 100 clients start streams and disconnect after their first piece (or at once
 * while they wait), and /health must show no generation left running or waiting.
 *
 *   node apps/node-gpu/bench/serve-load.mjs [--clients 32] [--seconds 120] [--max-tokens 32]
 *                                           [--disconnects 100] [--backend auto]
 *
 * Prints one JSON object: requests served, errors (503s apart), time to first token (p50, p95),
 * tokens per second over the phase, the server's resident memory at start and end, and the
 * disconnect phase's outcome. Needs a build (`pnpm build`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '120' },
    'max-tokens': { type: 'string', default: '32' },
    disconnects: { type: 'string', default: '100' },
    backend: { type: 'string', default: 'auto' },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const maxTokens = Number(values['max-tokens']);
const disconnects = Number(values.disconnects);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'pnpm --filter scratchgpt-cli... build' first`);
const backend = ['--backend', values.backend];

const work = await mkdtemp(join(tmpdir(), 'scratchgpt-serve-load-'));
const model = join(work, 'gpt-nano');
const trained = spawnSync(
  process.execPath,
  [cli, 'train', '--config', 'gpt-nano', '--steps', '1', '--eval-every', '0', '--out', model, ...backend],
  { encoding: 'utf8' },
);
if (trained.status !== 0) throw new Error(`train failed: ${trained.stderr}`);

// Queue room for every client of the first phase; the disconnect phase overflows it on purpose.
const server = spawn(
  process.execPath,
  [cli, 'serve', '--model', model, '--port', '0', '--queue', String(clients), '--json', ...backend],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let serverErr = '';
server.stderr.setEncoding('utf8').on('data', (chunk) => {
  serverErr += chunk;
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const line = out.split('\n').find((each) => each.includes('"listening"'));
    if (line) resolve(JSON.parse(line).url);
  });
  server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${serverErr}`)));
});
if (!/^http:\/\/127\.0\.0\.1:/.test(url)) throw new Error(`not on loopback: ${url}`);

const rssMB = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
};
const body = (tokens) =>
  JSON.stringify({
    model: 'gpt-nano',
    prompt: 'Every effort moves you',
    max_tokens: tokens,
    stream: true,
    stream_options: { include_usage: true },
  });

/** One streamed completion: its time to first token and token count, or its error status. */
async function streamedCompletion() {
  const started = performance.now();
  const response = await fetch(`${url}/v1/completions`, { method: 'POST', body: body(maxTokens) });
  if (response.status !== 200) {
    await response.text();
    return { status: response.status };
  }
  const decoder = new TextDecoder();
  let text = '';
  let firstToken;
  for await (const chunk of response.body) {
    text += decoder.decode(chunk, { stream: true });
    if (firstToken === undefined && /"text":"[^"]/.test(text)) firstToken = performance.now() - started;
  }
  const usage = /"completion_tokens":(\d+)/.exec(text);
  if (!text.endsWith('data: [DONE]\n\n') || !usage) return { status: 'incomplete' };
  return { status: 200, firstTokenMs: firstToken ?? performance.now() - started, tokens: Number(usage[1]) };
}

const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const round = (value) => (value === null ? null : Math.round(value * 10) / 10);

const rssStartMB = rssMB();
// Sampled through the load: the start is before the first answer (kernels not yet built, buffers not
// yet pooled), so flat means the samples stop rising once warm, not that they equal the start.
const rssSamplesMB = [];
const sampler = setInterval(() => rssSamplesMB.push(rssMB()), Math.max(1000, (seconds * 1000) / 8));
const deadline = performance.now() + seconds * 1000;
const results = [];
const phaseStart = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      try {
        results.push(await streamedCompletion());
      } catch (error) {
        results.push({ status: `network: ${error.message}` });
      }
    }
  }),
);
const phaseSeconds = (performance.now() - phaseStart) / 1000;
clearInterval(sampler);
const served = results.filter((result) => result.status === 200);
const firstTokens = served.map((result) => result.firstTokenMs).sort((a, b) => a - b);
const tokens = served.reduce((sum, result) => sum + result.tokens, 0);

/**
 * A stream left early: even-numbered clients after their first piece, odd ones after 200 ms, most of
 * them while still waiting their turn (their place in the queue must be freed too).
 */
async function leaveEarly(index) {
  const controller = new AbortController();
  if (index % 2 === 1) setTimeout(() => controller.abort(), 200);
  try {
    const response = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      body: body(100_000),
      signal: controller.signal,
    });
    if (response.status !== 200) return response.status;
    const reader = response.body.getReader();
    await reader.read();
    controller.abort();
    return 'left-after-first-piece';
  } catch {
    return 'left-while-waiting';
  }
}
const outcomes = await Promise.race([
  Promise.all(Array.from({ length: disconnects }, (_, index) => leaveEarly(index))),
  new Promise((resolve) => setTimeout(() => resolve(null), 60_000)),
]);
let health;
for (let attempt = 0; attempt < 200; attempt++) {
  health = await (await fetch(`${url}/health`)).json();
  if (health.queue.running === 0 && health.queue.waiting === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const after = await streamedCompletion();
const rssEndMB = rssMB();
server.kill('SIGINT');
const exitCode = await new Promise((resolve) => server.on('exit', resolve));

const count = (list, what) => list.filter((item) => item === what).length;
console.log(
  JSON.stringify(
    {
      model: 'gpt-nano',
      backend: /backend: (\S+)/.exec(serverErr)?.[1] ?? values.backend,
      clients,
      seconds: round(phaseSeconds),
      maxTokens,
      requestsServed: served.length,
      errors: results.filter((result) => result.status !== 200 && result.status !== 503).length,
      refused503: results.filter((result) => result.status === 503).length,
      firstTokenMs: { p50: round(percentile(firstTokens, 0.5)), p95: round(percentile(firstTokens, 0.95)) },
      tokensPerSecond: round(tokens / phaseSeconds),
      rssStartMB,
      rssSamplesMB,
      rssEndMB,
      disconnectPhase: {
        clients: disconnects,
        finished: outcomes !== null,
        leftAfterFirstPiece: outcomes === null ? null : count(outcomes, 'left-after-first-piece'),
        leftWhileWaiting: outcomes === null ? null : count(outcomes, 'left-while-waiting'),
        refused503: outcomes === null ? null : count(outcomes, 503),
        queueAfter: health.queue,
        nextRequestServed: after.status === 200,
      },
      serverExitCode: exitCode,
    },
    null,
    2,
  ),
);

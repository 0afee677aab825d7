/**
 * Training throughput of the page in Chromium, in one browser: the same model trained N steps on WebGPU
 * (a software adapter, SwiftShader, where there is no GPU) with scratchgpt's kernels, with TF.js's stock
 * kernels (`?kernels=tfjs`), on wasm (served cross-origin isolated, so TF.js's threaded build on every
 * logical core; `wasmt1`: that build on one thread, `?threads=1`), on wasm served without COOP/COEP
 * (the one-thread build), and `@genai-fi/nanogpt` 1.3.0 (a TF.js
 * GPT trainer with its own WGSL kernels) training its model of the same size on WebGPU (bench/peer).
 * Prints JSON with the ratios.
 *
 *   pnpm --filter web-webgpu bench [--steps 12] [--warmup 3] [--model gpt-nano] [--context 32] [--batch 2]
 *   pnpm --filter web-webgpu bench --model gpt-tiny --context 64 --batch 4 --steps 4 --warmup 1 --only webgpu,stock,peer
 *   pnpm --filter web-webgpu bench --only wasm,wasmt1,wasm1 --rounds 5   # wasm's threads against one
 *
 * Tokens/s is measured from the page's step counter between the end of the warm-up steps (shader
 * compilation, first allocations) and the last step: batch × context tokens per step.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { preset } from '@scratchgpt/gpt-model';
import { createServer } from 'vite';
import { appDir, launchChromium, type Served, servePreview } from '../test/browser.js';
import { readSteps, recordSteps, waitForBackend, waitForStep } from '../test/page-steps.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '3' },
    model: { type: 'string', default: 'gpt-nano' },
    context: { type: 'string', default: '32' },
    batch: { type: 'string', default: '2' },
    only: { type: 'string', default: 'webgpu,stock,wasm,wasmt1,wasm1,peer' },
    rounds: { type: 'string', default: '1' },
  },
});
const only = new Set(values.only.split(','));
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const contextLength = Number(values.context);
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);
if (!(warmup >= 1 && steps > warmup)) throw new Error('--steps must exceed --warmup, and --warmup be ≥ 1');
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error('--rounds must be a whole number ≥ 1');

interface Measured {
  device: string;
  tokensPerSec: number;
  secondsPerStep: number;
  pageTokensPerSec: number;
}

const served = await servePreview();
// The same build from a server that sends no COOP/COEP: wasm on one thread.
const servedPlain = only.has('wasm1') ? await servePreview({ isolated: false }) : null;
const browser = await launchChromium();
try {
  const webgpu = only.has('webgpu') ? await measure(served, 'webgpu') : null;
  const stock = only.has('stock') ? await measure(served, 'webgpu', 'tfjs') : null;
  const { threaded, threadedOnOne, oneThread } = await measureWasmRounds();
  const wasm = median(threaded);
  const wasmThreadedBuildOneThread = median(threadedOnOne);
  const wasmOneThread = median(oneThread);
  const peer = only.has('peer') ? await measurePeer() : null;
  const ratio = (a: { tokensPerSec: number } | null, b: { tokensPerSec: number } | null) =>
    a && b ? Number((a.tokensPerSec / b.tokensPerSec).toFixed(3)) : null;
  const result = {
    model: values.model,
    contextLength,
    batchSize,
    steps,
    warmupSteps: warmup,
    webgpu,
    webgpuStockKernels: stock,
    wasm,
    wasmThreadedBuildOneThread,
    wasmOneThread,
    // Every round's tokens/s (the figures above are the medians).
    wasmRounds: threaded.map((m) => m.tokensPerSec),
    wasmThreadedBuildOneThreadRounds: threadedOnOne.map((m) => m.tokensPerSec),
    wasmOneThreadRounds: oneThread.map((m) => m.tokensPerSec),
    peer,
    webgpuOverWasm: ratio(webgpu, wasm),
    wasmThreadsOverOneThread: ratio(wasm, wasmOneThread),
    threadedBuildOneThreadOverOneThread: ratio(wasmThreadedBuildOneThread, wasmOneThread),
    webgpuOverStockKernels: ratio(webgpu, stock),
    webgpuOverPeer: ratio(webgpu, peer),
    stockKernelsOverPeer: ratio(stock, peer),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await served.close();
  await servedPlain?.close();
}

/**
 * The wasm runs, `--rounds` times each, in reversed order every other round so that a change in the
 * machine's load weighs on all alike.
 */
async function measureWasmRounds() {
  const threaded: Measured[] = [];
  const threadedOnOne: Measured[] = [];
  const oneThread: Measured[] = [];
  for (let round = 0; round < rounds; round++) {
    const runs = [
      async () => only.has('wasm') && threaded.push(await measure(served, 'wasm')),
      async () => only.has('wasmt1') && threadedOnOne.push(await measure(served, 'wasm', 'scratchgpt', 1)),
      async () => servedPlain != null && oneThread.push(await measure(servedPlain, 'wasm')),
    ];
    for (const run of round % 2 === 0 ? runs : runs.reverse()) await run();
  }
  return { threaded, threadedOnOne, oneThread };
}

/** The run with the median tokens/s (the lower middle one of an even count), or null for none. */
function median(runs: Measured[]): Measured | null {
  const sorted = [...runs].sort((a, b) => a.tokensPerSec - b.tokensPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

/** The peer's page, served by Vite from bench/peer, trains its model of the same size. */
async function measurePeer(): Promise<{ tokensPerSec: number; secondsPerStep: number; parameters: number }> {
  const config = preset(values.model);
  const require = createRequire(join(appDir, 'package.json'));
  const trainer = join(dirname(require.resolve('@genai-fi/nanogpt')), 'training', 'BasicTrainer.js');
  const server = await createServer({
    root: join(appDir, 'bench', 'peer'),
    configFile: false,
    logLevel: 'warn',
    // Served as published, so the trainer loaded by path shares the package's modules.
    optimizeDeps: { exclude: ['@genai-fi/nanogpt'], include: [] },
    server: { host: '127.0.0.1', port: 0, fs: { strict: false } },
  });
  await server.listen();
  const page = await browser.context.newPage();
  try {
    const query = new URLSearchParams({
      trainer: `/@fs${trainer}`,
      vocab: String(config.vocabSize),
      context: String(contextLength),
      emb: String(config.embDim),
      heads: String(config.nHeads),
      layers: String(config.nLayers),
      batch: String(batchSize),
      steps: String(steps),
      warmup: String(warmup),
      dropout: String(config.dropRate),
    });
    const url = server.resolvedUrls?.local[0] ?? '';
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="result"]')?.textContent?.startsWith('running'),
      undefined,
      { timeout: 1_800_000 },
    );
    const result = JSON.parse((await page.getByTestId('result').textContent()) ?? '{}');
    if (result.error) throw new Error(`The peer failed in the browser: ${result.error}`);
    return result;
  } finally {
    await page.close();
    await server.close();
  }
}

async function measure(
  server: Served,
  backend: 'webgpu' | 'wasm',
  kernels: 'scratchgpt' | 'tfjs' = 'scratchgpt',
  threads: number | null = null,
): Promise<Measured> {
  const page = await browser.context.newPage();
  try {
    const query = `${kernels === 'tfjs' ? '&kernels=tfjs' : ''}${threads == null ? '' : `&threads=${threads}`}`;
    await page.goto(`${server.url}?backend=${backend}${query}`);
    const got = await waitForBackend(page);
    if (got !== backend) throw new Error(`Asked the page for ${backend}, it runs on ${got}`);
    await page.getByTestId('model-size').selectOption(values.model);
    await page.getByTestId('context-length').fill(String(contextLength));
    await page.getByTestId('batch-size').fill(String(batchSize));
    await page.getByTestId('steps').fill(String(steps));
    await page.getByTestId('eval-every').fill('0');
    await recordSteps(page);
    await page.getByTestId('train').click();
    await waitForStep(page, steps, 1_800_000);
    const records = await readSteps(page);
    const from = records.find((r) => r.step === warmup);
    const to = records.find((r) => r.step === steps);
    if (from == null || to == null) throw new Error(`The page skipped step ${warmup} or ${steps}`);
    const seconds = (to.at - from.at) / 1000;
    const tokens = (steps - warmup) * batchSize * contextLength;
    const pageRate = Number((await page.getByTestId('tokens-per-sec').textContent())?.replace(/,/g, ''));
    return {
      device: (await page.getByTestId('backend').textContent()) ?? backend,
      tokensPerSec: Number((tokens / seconds).toFixed(1)),
      secondsPerStep: Number((seconds / (steps - warmup)).toFixed(3)),
      pageTokensPerSec: pageRate,
    };
  } finally {
    await page.close();
  }
}

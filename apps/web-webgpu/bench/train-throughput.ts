/**
 * Training throughput of the page in Chromium: the same tiny model trained N steps on WebGPU (a software
 * adapter, SwiftShader, where there is no GPU) and on wasm, in one browser. Prints JSON.
 *
 *   pnpm --filter web-webgpu bench [--steps 12] [--warmup 3] [--model gpt-nano] [--context 32] [--batch 2]
 *
 * Tokens/s is measured from the page's step counter between the end of the warm-up steps (shader
 * compilation, first allocations) and the last step: batch × context tokens per step.
 */
import { parseArgs } from 'node:util';
import { launchChromium, servePreview } from '../test/browser.js';
import { readSteps, recordSteps, waitForBackend, waitForStep } from '../test/page-steps.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '3' },
    model: { type: 'string', default: 'gpt-nano' },
    context: { type: 'string', default: '32' },
    batch: { type: 'string', default: '2' },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const contextLength = Number(values.context);
const batchSize = Number(values.batch);
if (!(warmup >= 1 && steps > warmup)) throw new Error('--steps must exceed --warmup, and --warmup be ≥ 1');

interface Measured {
  device: string;
  tokensPerSec: number;
  secondsPerStep: number;
  pageTokensPerSec: number;
}

const served = await servePreview();
const browser = await launchChromium();
try {
  const webgpu = await measure('webgpu');
  const wasm = await measure('wasm');
  const result = {
    model: values.model,
    contextLength,
    batchSize,
    steps,
    warmupSteps: warmup,
    webgpu,
    wasm,
    webgpuOverWasm: Number((webgpu.tokensPerSec / wasm.tokensPerSec).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await served.close();
}

async function measure(backend: 'webgpu' | 'wasm'): Promise<Measured> {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${served.url}?backend=${backend}`);
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

/**
 * How large a GPT-2 the page LoRA-fine-tunes on WebGPU: for each preset and precision, a new model of
 * that size in the classify card (LoRA rank 8, batch 1, short texts, a small context) trains a few
 * steps in Chromium (SwiftShader where there is no GPU). Prints JSON: per run whether it finished, the
 * seconds to build the model (random weights, then the base stored in 16 bits), the first step
 * (shaders compiled) and the mean of the others (then Stop ends the run), or the page's error word for word (a WebGPU limit,
 * out of memory, a lost device or a crashed tab).
 *
 *   pnpm --filter web-webgpu bench:lora
 *   pnpm --filter web-webgpu bench:lora --presets gpt2-medium --precisions bf16 --steps 2
 *
 * The size picker stops at GPT-2 small (full training's limit); the bench adds the larger presets to
 * it, and everything after the choice is the page's own classify path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, servePreview } from '../test/browser.js';
import { waitForBackend } from '../test/page-steps.js';

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'gpt2-small,gpt2-medium,gpt2-large' },
    precisions: { type: 'string', default: 'f32,bf16' },
    steps: { type: 'string', default: '3' },
    context: { type: 'string', default: '16' },
    /** Minutes a run may take before it is reported as timed out. */
    timeout: { type: 'string', default: '30' },
  },
});
const steps = Number(values.steps);
const timeoutMs = Number(values.timeout) * 60_000;
if (!(Number.isInteger(steps) && steps >= 2)) throw new Error('--steps must be a whole number ≥ 2');

/** Twenty short texts of two classes: 14 train, 2 validate, 4 test, none longer than a few tokens. */
const labelled = Array.from({ length: 20 }, (_, i) =>
  i % 2 === 0 ? `spam\twin a free prize now ${i}` : `ham\tsee you at lunch ${i}`,
).join('\n');

interface Run {
  preset: string;
  precision: string;
  ok: boolean;
  /** The page's classifier line (which says the base weights' precision). */
  classifier?: string | undefined;
  buildSeconds?: number;
  firstStepSeconds?: number;
  stepSeconds?: number;
  /** The page's error, or what stopped the tab. */
  error?: string | undefined;
  device?: string | undefined;
}

const work = mkdtempSync(join(tmpdir(), 'scratchgpt-lora-sizes-'));
const file = join(work, 'texts.tsv');
writeFileSync(file, labelled);
const served = await servePreview();
const browser = await launchChromium();
const runs: Run[] = [];
try {
  for (const presetName of values.presets.split(',')) {
    for (const precision of values.precisions.split(',')) {
      const run = await measure(presetName, precision);
      console.error(JSON.stringify(run));
      runs.push(run);
    }
  }
  console.log(JSON.stringify({ context: Number(values.context), batch: 1, rank: 8, steps, runs }, null, 2));
} finally {
  await browser.close();
  await served.close();
  rmSync(work, { recursive: true, force: true });
}

async function measure(presetName: string, precision: string): Promise<Run> {
  const run: Run = { preset: presetName, precision, ok: false };
  const page = await browser.context.newPage();
  const crashed = new Promise<string>((resolve) => page.on('crash', () => resolve('the tab crashed')));
  try {
    await page.goto(`${served.url}?backend=webgpu`);
    if ((await waitForBackend(page)) !== 'webgpu') throw new Error('the page did not start on WebGPU');
    run.device = (await page.getByTestId('backend').textContent()) ?? undefined;
    await page.getByTestId('model-size').evaluate((select, name) => {
      const picker = select as HTMLSelectElement;
      if (![...picker.options].some((option) => option.value === name)) picker.add(new Option(name, name));
    }, presetName);
    await page.getByTestId('model-size').selectOption(presetName);
    await page.getByTestId('context-length').fill(values.context);
    await page.getByTestId('precision').selectOption(precision);
    await page.getByTestId('classify-upload').setInputFiles(file);
    await page.getByTestId('classify-base').selectOption('new');
    await page.getByTestId('classify-trainable').selectOption('lora');
    await page.getByTestId('classify-batch-size').fill('1');
    await page.getByTestId('classify-lr').fill('0.001');
    // More steps than measured: the page stops the run after the last one measured (Stop skips the
    // test split's evaluation, which is not what is measured here).
    await page.getByTestId('classify-steps').fill(String(steps + 100));
    await page.getByTestId('classify-eval-every').fill('0');
    await recordClassifySteps(page, steps);
    await page.getByTestId('classify-train').click();
    const clicked = Date.now();
    const progress = setInterval(() => {
      void page
        .evaluate(() =>
          ['classify-step', 'classifier-info', 'classify-status'].map(
            (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent,
          ),
        )
        .then(([step, info, status]) =>
          console.error(
            `${presetName} ${precision} +${seconds(Date.now() - clicked)} s: step ${step}; ${info}; ${status}`,
          ),
        )
        .catch(() => undefined);
    }, 30_000);
    const outcome = await Promise.race([
      crashed,
      page
        .waitForFunction(
          () => {
            const status = document.querySelector('[data-testid="classify-status"]');
            const text = status?.textContent ?? '';
            return status?.classList.contains('failed') || /^(Finished|Stopped) at step/.test(text)
              ? text
              : false;
          },
          undefined,
          { timeout: timeoutMs, polling: 500 },
        )
        .then((handle) => handle.jsonValue() as Promise<string>)
        .catch(async () => {
          const step = await page.getByTestId('classify-step').textContent();
          return `timed out after ${values.timeout} min at step ${step}`;
        }),
    ]).finally(() => clearInterval(progress));
    const times = await page.evaluate(() => (window as unknown as { __stepTimes: number[] }).__stepTimes);
    run.classifier = (await page.getByTestId('classifier-info').textContent()) ?? undefined;
    const info = await page.evaluate(() => (window as unknown as { __builtAt?: number }).__builtAt);
    if (info != null) run.buildSeconds = seconds(info - clicked);
    const [first, ...rest] = times.map(
      (t, i) => t - (i === 0 ? (info ?? clicked) : (times[i - 1] as number)),
    );
    if (first != null) run.firstStepSeconds = seconds(first);
    if (rest.length > 0) run.stepSeconds = seconds(rest.reduce((a, b) => a + b, 0) / rest.length);
    // Stop ends the run after the step in progress: the one after the last measured, at times.
    run.ok = Number(/^(?:Stopped|Finished) at step (\d+)/.exec(outcome)?.[1] ?? 0) >= steps;
    if (!run.ok) run.error = outcome;
    return run;
  } catch (error) {
    run.error = (error as Error).message.split('\n')[0];
    return run;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/**
 * Page clock (ms) of each classify step, and of the classifier line's arrival (the model built); Stop
 * is clicked once `steps` steps are done.
 */
async function recordClassifySteps(page: Page, steps: number): Promise<void> {
  await page.evaluate((steps) => {
    const store = window as unknown as { __stepTimes: number[]; __builtAt?: number };
    store.__stepTimes = [];
    const step = document.querySelector('[data-testid="classify-step"]')!;
    new MutationObserver(() => {
      if (!Number.isFinite(Number(step.textContent))) return;
      store.__stepTimes.push(Date.now());
      if (store.__stepTimes.length === steps)
        document.querySelector<HTMLButtonElement>('[data-testid="classify-stop"]')?.click();
    }).observe(step, { subtree: true, childList: true, characterData: true });
    const info = document.querySelector('[data-testid="classifier-info"]')!;
    new MutationObserver(() => {
      store.__builtAt ??= Date.now();
    }).observe(info, { subtree: true, childList: true, characterData: true });
  }, steps);
}

function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(2));
}

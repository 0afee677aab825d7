/**
 * The app end to end in Debian's Chromium, headless, on WebGPU (SwiftShader where there is no GPU):
 * train, stop and resume from the page, stream a generation, draw the attention heatmap, save a
 * checkpoint and load it in Node (and in the CLI where it is built), load checkpoints back,
 * instruction-tune the model and chat with it, then preference-tune it (DPO).
 *
 * SwiftShader runs the vocabulary-sized matrix products slowly (seconds per step even for gpt-nano),
 * so the run is as small as the checks allow: gpt-nano, context 16, batch 2, 22+ steps.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@scratchgpt/gpt-model';
import { loadCheckpoint } from '@scratchgpt/gpt-model/node';
import { initBackend } from '@scratchgpt/tensor';
import { requiredBackends } from '@scratchgpt/tensor/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, type Browser, chromiumPath, openApp, type Served } from './browser.js';
import { readSteps, recordSteps, waitForBackend, waitForStatus, waitForStep } from './page-steps.js';

const webgpuRequired = requiredBackends().includes('webgpu');
const hasChromium = existsSync(chromiumPath);
const missing = `no Chromium at ${chromiumPath} (install Debian's chromium package, or set SCRATCHGPT_CHROMIUM)`;
const cliPath = join(appDir, '..', 'node-gpu', 'dist', 'cli.js');
const resultsDir = join(appDir, 'test-results');
const prompt = 'Every effort moves you';

if (!hasChromium && !webgpuRequired) console.warn(`web-webgpu end-to-end test skipped: ${missing}`);

describe.runIf(!hasChromium && webgpuRequired)('the page in Chromium', () => {
  it('needs Chromium, because SCRATCHGPT_REQUIRE_BACKENDS names webgpu', () => {
    throw new Error(`SCRATCHGPT_REQUIRE_BACKENDS names webgpu, but there is ${missing}`);
  });
});

describe.runIf(hasChromium)('the page in Chromium', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let checkpointDir: string;

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    checkpointDir = mkdtempSync(join(tmpdir(), 'scratchgpt-e2e-'));
    ({ served, browser, page } = await openApp());
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (checkpointDir) rmSync(checkpointDir, { recursive: true, force: true });
  });

  it('chooses as the CLI does: a software WebGPU adapter ranks below wasm, and the page says so', async () => {
    await page.goto(served.url);
    const chosen = await waitForBackend(page);
    const reason = await page.getByTestId('backend-reason').textContent();
    const link = page.getByTestId('switch-backend');
    if (/SwiftShader|software/i.test(reason ?? '')) {
      expect(chosen).toBe('wasm');
      expect(reason).toMatch(
        /^Chosen automatically: no hardware GPU was found; wasm \(SIMD\) is the fastest CPU backend\./,
      );
      expect(reason).toMatch(
        /Skipped webgpu: the adapter is software \(.*\), slower than wasm: it ranks below wasm\./,
      );
      expect([await link.textContent(), await link.getAttribute('href')]).toEqual([
        'use WebGPU anyway',
        '?backend=webgpu',
      ]);
    } else {
      expect(chosen).toBe('webgpu'); // a hardware adapter
    }
  });

  it('runs on WebGPU when asked (?backend=webgpu), naming the adapter', async () => {
    await page.goto(`${served.url}?backend=webgpu`);
    expect(await waitForBackend(page)).toBe('webgpu');
    expect(await page.getByTestId('backend').textContent()).toMatch(/^webgpu · \S/);
    expect(await page.getByTestId('backend-reason').textContent()).toMatch(
      /^Asked for: requested with prefer: 'webgpu'\./,
    );
    expect(await page.getByTestId('backend-note').isHidden()).toBe(true);
    expect(await page.getByTestId('switch-backend').textContent()).toBe('use wasm instead');
  });

  it('trains 20+ steps with a falling loss, stays responsive, and stops and resumes promptly', async () => {
    await recordSteps(page);
    await page.getByTestId('model-size').selectOption('gpt-nano');
    await page.getByTestId('context-length').fill('16');
    await page.getByTestId('batch-size').fill('2');
    await page.getByTestId('lr').fill('0.003');
    await page.getByTestId('steps').fill('1000');
    await page.getByTestId('eval-every').fill('20');
    await page.getByTestId('train').click();
    expect(await page.getByTestId('train').isDisabled()).toBe(true);

    await waitForStep(page, 12);
    // Slow steps show what they are doing, with a running clock.
    const doing = await page.evaluate(() => window.__statuses);
    expect(
      doing.some((text) =>
        /^Training… step \d+: (computing gradients|gradients done|updating|evaluating)/.test(text),
      ),
    ).toBe(true);
    // The main thread answers at once while the worker trains.
    for (let i = 0; i < 3; i++) expect(await frameLatency(page)).toBeLessThan(1000);
    const first = await stopAndCheck(page);
    expect(await page.getByTestId('resume').isEnabled()).toBe(true);

    await page.getByTestId('resume').click();
    // Evaluations follow steps 1, 21, 41, …; step 22 starts only after step 21's is shown (a stop
    // skips the evaluation of the step it interrupts).
    await waitForStep(page, 22);
    const second = await stopAndCheck(page);

    const steps = await readSteps(page);
    const numbers = steps.map((s) => s.step);
    // Resume went on from the stopped step: every step once, in order.
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(numbers.at(-1)).toBeGreaterThanOrEqual(21);
    expect(first.step).toBeLessThan(second.step);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const early = mean(steps.slice(0, 3).map((s) => s.loss));
    const late = mean(steps.slice(-3).map((s) => s.loss));
    console.info(
      `trained steps 1-${numbers.at(-1)}: loss ${early.toFixed(2)} → ${late.toFixed(2)}; ` +
        `stops took ${first.seconds.toFixed(1)} s and ${second.seconds.toFixed(1)} s`,
    );
    expect(early).toBeGreaterThan(10); // about ln(50257) = 10.8 before training
    expect(late).toBeLessThan(early - 0.5);
    expect(Number(await page.getByTestId('val-loss').textContent())).toBeLessThan(11);
    expect(
      Number((await page.getByTestId('tokens-per-sec').textContent())?.replace(/,/g, '')),
    ).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="loss-chart"] canvas').count()).toBeGreaterThan(0);
  });

  it('streams a generation token by token', async () => {
    await page.getByTestId('prompt').fill(prompt);
    await page.getByTestId('max-new-tokens').fill('12');
    await page.evaluate(() => {
      const output = document.querySelector('[data-testid="output"]')!;
      window.__outputLengths = [];
      new MutationObserver(() => window.__outputLengths.push(output.textContent?.length ?? 0)).observe(
        output,
        {
          subtree: true,
          childList: true,
          characterData: true,
        },
      );
    });
    await page.getByTestId('generate').click();
    await waitForStatus(page, /^Generated \d+ tokens/);
    const lengths = await page.evaluate(() => window.__outputLengths);
    const growing = lengths.filter((length) => length > prompt.length);
    expect(new Set(growing).size).toBeGreaterThanOrEqual(4);
    expect(growing).toEqual([...growing].sort((a, b) => a - b));
    expect((await page.getByTestId('output').textContent())?.startsWith(prompt)).toBe(true);
  });

  it("draws the prompt's attention weights, labelled with its tokens", async () => {
    const tokens = getGPT2Tokenizer()
      .encode(prompt)
      .map((id) => getGPT2Tokenizer().decode([id]));
    const cells = page.locator('[data-testid="attention"] rect.cell');
    await expect
      .poll(() => cells.count(), { timeout: 60_000 })
      .toBe((tokens.length * (tokens.length + 1)) / 2);
    const labels = await page.locator('[data-testid="attention"] text.row-label').allTextContents();
    expect(labels).toEqual(tokens);
    const weights = (await cells.evaluateAll((rects) =>
      rects.map((r) => Number(r.getAttribute('data-weight'))),
    )) as number[];
    // Causal softmax rows: row i has i + 1 cells summing to 1.
    let offset = 0;
    for (let row = 0; row < tokens.length; row++) {
      const sum = weights.slice(offset, offset + row + 1).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 2);
      offset += row + 1;
    }
    await page.screenshot({ path: join(resultsDir, 'e2e.png'), fullPage: true });
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300); // the chart follows its container's width
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(resultsDir, 'e2e-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('saves a checkpoint that Node (and the CLI, where built) loads and generates from', async () => {
    const hf = await saveCheckpoint(page, 'hf', join(checkpointDir, 'hf'));
    await saveCheckpoint(page, 'book', join(checkpointDir, 'book'));
    await initBackend({ prefer: 'cpu' });
    const loaded = await loadCheckpoint(hf);
    expect(loaded.layout).toBe('hf');
    expect(loaded.config).toMatchObject({
      embDim: 48,
      nLayers: 3,
      nHeads: 3,
      contextLength: 16,
      vocabSize: 50257,
    });
    const promptIds = getGPT2Tokenizer().encode(prompt);
    const ids = await generate(loaded.model, promptIds, { maxNewTokens: 5, temperature: 0 });
    expect(ids).toHaveLength(5);
    loaded.model.dispose();
    if (existsSync(cliPath)) {
      const args = [
        'generate',
        '--model',
        hf,
        '--prompt',
        prompt,
        '--max-new-tokens',
        '5',
        '--temperature',
        '0',
      ];
      const stdout = execFileSync(process.execPath, [cliPath, ...args, '--json'], { encoding: 'utf8' });
      const result = JSON.parse(stdout) as { text: string; tokenIds: number[]; promptTokenIds: number[] };
      expect(result.promptTokenIds).toEqual(promptIds);
      expect(result.tokenIds).toHaveLength(5);
      expect(result.text.length).toBeGreaterThan(0);
    }
  });

  it('loads checkpoints in either layout, and says what is wrong with a bad choice', async () => {
    const input = page.getByTestId('load-model');
    await input.setInputFiles([join(checkpointDir, 'hf', 'config.json')]);
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toMatch(/^Choose the two files of a checkpoint/);
    for (const [layout, words] of [
      ['book', "the book's layout"],
      ['hf', 'Hugging Face layout'],
    ] as const) {
      const dir = join(checkpointDir, layout);
      await input.setInputFiles([join(dir, 'config.json'), join(dir, 'model.safetensors')]);
      await expect
        .poll(() => page.getByTestId('model-info').textContent())
        .toContain(`model.safetensors (${words})`);
      expect(await page.getByTestId('error').isHidden()).toBe(true);
    }
    expect(await page.getByTestId('model-info').textContent()).toContain(
      '3 layers, 3 heads, 48-d, context 16',
    );
  });

  it('instruction-tunes the model in the worker, then chats: the answer streams and Stop ends it', async () => {
    await recordSteps(page);
    await page.getByTestId('batch-size').fill('2');
    await page.getByTestId('eval-every').fill('2');
    await page.getByTestId('instruct-steps').fill('3');
    const trainStatus = await page.getByTestId('status').textContent();
    await page.getByTestId('instruct-train').click();
    // Its progress shows in its own card; the Train card's status line is left as it was.
    await waitForStatus(page, /^Training… step \d/, 300_000, 'chat-status');
    await waitForStatus(page, /^Instruction-tuned to step 3\./, 300_000, 'chat-status');
    expect(await page.getByTestId('status').textContent()).toBe(trainStatus);
    expect((await readSteps(page)).map((s) => s.step)).toEqual([1, 2, 3]);
    expect(Number(await page.getByTestId('val-loss').textContent())).toBeGreaterThan(0);

    await page.getByTestId('chat-max-new-tokens').fill('400');
    await page.evaluate(() => {
      const log = document.querySelector('[data-testid="chat-log"]')!;
      window.__answerLengths = [];
      new MutationObserver(() => {
        const answers = log.querySelectorAll('[data-testid="chat-answer"]');
        window.__answerLengths.push(answers[answers.length - 1]?.textContent?.length ?? 0);
      }).observe(log, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('chat-input').fill('Name a primary color.');
    await page.getByTestId('chat-input').press('Enter');
    expect(await page.getByTestId('chat-stop').isEnabled()).toBe(true);
    await page.waitForFunction(() => new Set(window.__answerLengths.filter((n) => n > 0)).size >= 4, null, {
      timeout: 120_000,
    });
    await page.getByTestId('chat-stop').click();
    await waitForStatus(page, /^Stopped the answer\./, undefined, 'chat-status');
    const lengths = await page.evaluate(() => window.__answerLengths.filter((n) => n > 0));
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b)); // it grew as it streamed
    const answer = page.getByTestId('chat-answer').last();
    expect(await answer.getAttribute('data-ended')).toBe('stopped');
    expect(await answer.textContent()).toMatch(/ \[stopped\]$/);
    // A 16-token context keeps 8 tokens for the message: the panel says it was cut.
    expect(await page.getByTestId('chat-note').textContent()).toMatch(
      /^The message was cut to fit the context/,
    );
    expect(await page.getByTestId('chat-send').isEnabled()).toBe(true);
    expect(await page.locator('[data-testid="chat-log"] .user').allTextContents()).toEqual([
      'Name a primary color.',
    ]);
    await page.screenshot({ path: join(resultsDir, 'e2e-chat.png'), fullPage: true });
  });

  it('preference-tunes the instruction-tuned model (DPO): the margin chart fills, and the chat answers', async () => {
    await page.getByTestId('preference-steps').fill('2');
    await page.getByTestId('preference-pairs').fill('4');
    await page.getByTestId('preference-batch-size').fill('2');
    await page.getByTestId('preference-eval-every').fill('1');
    const started = Date.now();
    await page.getByTestId('preference-train').click();
    expect(await page.getByTestId('preference-stop').isEnabled()).toBe(true);
    await waitForStatus(
      page,
      /^Tuning on 4 pairs \(55 for validation, \d+ prompts cut/,
      120_000,
      'preference-status',
    );
    await waitForStatus(page, /^Preference-tuned to step 2\./, 300_000, 'preference-status');
    console.log(`DPO, 2 steps and 2 evaluations: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await page.getByTestId('preference-step').textContent()).toBe('2');
    expect(Number(await page.getByTestId('preference-loss').textContent())).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('preference-val-loss').textContent())).toBeGreaterThan(0);
    // "validation (train train)", and accuracies as percentages.
    expect(await page.getByTestId('preference-margin').textContent()).toMatch(
      /^-?\d+\.\d{4} \(train -?\d+\.\d{4}\)$/,
    );
    expect(await page.getByTestId('preference-accuracy').textContent()).toMatch(
      /^\d+\.\d% \(train \d+\.\d%\)$/,
    );
    // Evaluated after steps 1 and 2: two points on the chart.
    await expect.poll(() => page.getByTestId('preference-chart').getAttribute('data-points')).toBe('2');
    expect(await page.getByTestId('preference-stop').isEnabled()).toBe(false);

    await page.getByTestId('chat-max-new-tokens').fill('3');
    await page.getByTestId('chat-input').fill('Name a primary color.');
    await page.getByTestId('chat-send').click();
    await waitForStatus(page, /^Answered/, 120_000, 'chat-status');
    expect(await page.locator('[data-testid="chat-log"] .user').count()).toBe(2);
    await page.screenshot({ path: join(resultsDir, 'e2e-preference.png'), fullPage: true });
  });
});

declare global {
  interface Window {
    __outputLengths: number[];
    __answerLengths: number[];
  }
}

/** Milliseconds until the page's next animation frame. */
function frameLatency(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const start = performance.now();
        requestAnimationFrame(() => resolve(performance.now() - start));
      }),
  );
}

/**
 * Clicks Stop: training ends after the step in progress (no evaluation, no further step), and no
 * step follows. Counted in steps, not seconds: how long a step takes depends on the machine.
 */
async function stopAndCheck(page: Page): Promise<{ step: number; seconds: number }> {
  const clickedAt = (await readSteps(page)).at(-1)!.step;
  const started = Date.now();
  await page.getByTestId('stop').click();
  await waitForStatus(page, /^Stopped at step/);
  const seconds = (Date.now() - started) / 1000;
  const stopped = Number(await page.getByTestId('step').textContent());
  expect(stopped).toBeLessThanOrEqual(clickedAt + 1);
  expect(await page.getByTestId('status').textContent()).toBe(
    `Stopped at step ${stopped}. Resume continues from here.`,
  );
  await page.waitForTimeout(2000);
  expect(Number(await page.getByTestId('step').textContent())).toBe(stopped);
  expect(await page.getByTestId('train').isEnabled()).toBe(true);
  return { step: stopped, seconds };
}

/** Clicks Save and keeps the two downloads, as the CLI expects them: one folder, two files. */
async function saveCheckpoint(page: Page, layout: 'hf' | 'book', dir: string): Promise<string> {
  await page.getByTestId('save-layout').selectOption(layout);
  const downloads: Download[] = [];
  const collect = (download: Download) => downloads.push(download);
  page.on('download', collect);
  await page.getByTestId('save-model').click();
  await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
  page.off('download', collect);
  mkdirSync(dir, { recursive: true });
  const names = downloads.map((download) => download.suggestedFilename()).sort();
  expect(names).toEqual(['config.json', 'model.safetensors']);
  for (const download of downloads) await download.saveAs(join(dir, download.suggestedFilename()));
  return dir;
}

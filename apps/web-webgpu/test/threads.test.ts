/**
 * The page's CPU path in Debian's Chromium: served cross-origin isolated (the app's COOP/COEP headers)
 * it trains on TF.js's threaded wasm build with one thread per logical core; served without them it
 * trains on one thread and says why.
 */
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumPath, launchChromium, type Served, servePreview } from './browser.js';
import { readSteps, recordSteps, waitForBackend, waitForStep } from './page-steps.js';

const hasChromium = existsSync(chromiumPath);
if (!hasChromium) console.warn(`wasm threads end-to-end test skipped: no Chromium at ${chromiumPath}`);

describe.runIf(hasChromium)('the wasm backend in Chromium', () => {
  let browser: Browser;
  /** The losses of the three steps on the threaded build, to compare with one thread's. */
  let threadedLosses: number[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page on wasm from `served`; returns it with the isolation the page got. */
  async function openOnWasm(
    served: Served,
    query = '',
  ): Promise<{ page: Page; isolated: boolean; response: Headers }> {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    const reply = await page.goto(`${served.url}?backend=wasm${query}`);
    expect(await waitForBackend(page)).toBe('wasm');
    const isolated = await page.evaluate(() => crossOriginIsolated);
    return { page, isolated, response: new Headers(reply?.headers() ?? {}) };
  }

  /** Trains gpt-nano three steps with no evaluation and returns the losses. */
  async function trainThreeSteps(page: Page): Promise<number[]> {
    await page.getByTestId('model-size').selectOption('gpt-nano');
    await page.getByTestId('context-length').fill('16');
    await page.getByTestId('batch-size').fill('2');
    await page.getByTestId('steps').fill('3');
    await page.getByTestId('eval-every').fill('0');
    await recordSteps(page);
    await page.getByTestId('train').click();
    await waitForStep(page, 3, 120_000);
    return (await readSteps(page)).map((record) => record.loss);
  }

  it('cross-origin isolated, trains on every logical core', async () => {
    const served = await servePreview();
    try {
      const { page, isolated, response } = await openOnWasm(served);
      expect(response.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(isolated).toBe(true);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      const plural = cores === 1 ? 'thread' : 'threads';
      expect(await page.getByTestId('backend').textContent()).toBe(
        `wasm · SIMD, multi-threaded (${cores} ${plural})`,
      );
      threadedLosses = await trainThreeSteps(page);
      expect(threadedLosses).toHaveLength(3);
      await page.close();
    } finally {
      await served.close();
    }
  });

  it('takes the thread count from ?threads=, and says so when it cannot', async () => {
    const served = await servePreview();
    try {
      const one = await openOnWasm(served, '&threads=1');
      expect(await one.page.getByTestId('backend').textContent()).toBe(
        'wasm · SIMD, multi-threaded (1 thread)',
      );
      expect(await one.page.getByTestId('backend-note').isHidden()).toBe(true);
      await one.page.close();
      const bad = await openOnWasm(served, '&threads=all');
      const cores = await bad.page.evaluate(() => navigator.hardwareConcurrency);
      expect(await bad.page.getByTestId('backend').textContent()).toContain(`(${cores} thread`);
      expect(await bad.page.getByTestId('backend-note').textContent()).toBe(
        '?threads= takes a whole number from 1 to 64, not "all": wasm uses every core.',
      );
      await bad.page.close();
    } finally {
      await served.close();
    }
  });

  it('without COOP/COEP, trains on one thread and says why', async () => {
    const served = await servePreview({ isolated: false });
    try {
      const { page, isolated, response } = await openOnWasm(served);
      expect(response.get('cross-origin-embedder-policy')).toBeNull();
      expect(isolated).toBe(false);
      expect(await page.getByTestId('backend').textContent()).toBe(
        'wasm · SIMD, one thread (not cross-origin isolated: the server does not send COOP/COEP)',
      );
      const losses = await trainThreeSteps(page);
      expect(losses).toHaveLength(3);
      // The same seeded run: the threaded products (and the AdamW kernel on the shared heap) train the
      // same model, up to the order the threads sum in.
      expect(threadedLosses).toHaveLength(3);
      for (const [i, loss] of threadedLosses.entries()) expect(loss).toBeCloseTo(losses[i] ?? Number.NaN, 4);
      await page.close();
    } finally {
      await served.close();
    }
  });
});

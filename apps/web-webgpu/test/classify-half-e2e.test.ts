/**
 * LoRA classify on a 16-bit base in Debian's Chromium on WebGPU (SwiftShader without a GPU): gpt-nano
 * with the Data card's precision at f16 where the adapter has `shader-f16`, bf16 where it has not. The
 * card says which precision the base weights are in, and the loss falls. The Data card's checkbox
 * sits beside its label.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumPath, openApp, type Served } from './browser.js';
import { twoClassTsv } from './labelled-texts.js';
import { waitForBackend } from './page-steps.js';

const hasChromium = existsSync(chromiumPath);
if (!hasChromium) console.warn(`16-bit classify test skipped: no Chromium at ${chromiumPath}`);

describe.runIf(hasChromium)('LoRA classify on a 16-bit base, on WebGPU', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'scratchgpt-classify-half-'));
    ({ served, browser, page } = await openApp());
    await page.goto(`${served.url}?backend=webgpu`);
    expect(await waitForBackend(page)).toBe('webgpu');
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('shows Recompute activations as the other checkboxes: the box, then its label, on one line', async () => {
    const { box, text } = await page.getByTestId('recompute').evaluate((input) => {
      const range = document.createRange();
      range.selectNodeContents(input.parentElement!);
      range.setStartAfter(input);
      const rect = (r: DOMRect) => ({ left: r.left, right: r.right, middle: (r.top + r.bottom) / 2 });
      return { box: rect(input.getBoundingClientRect()), text: rect(range.getBoundingClientRect()) };
    });
    expect(text.left).toBeGreaterThanOrEqual(box.right);
    expect(Math.abs(text.middle - box.middle)).toBeLessThan(4);
  });

  it('stores the base in 16 bits, says so, and the loss falls', async () => {
    const f16 = await page.evaluate(async () =>
      Boolean((await navigator.gpu.requestAdapter())?.features.has('shader-f16')),
    );
    const precision = f16 ? 'f16' : 'bf16';
    await page.getByTestId('model-size').selectOption('gpt-nano');
    await page.getByTestId('context-length').fill('16');
    await page.getByTestId('precision').selectOption(precision);
    const file = join(work, 'texts.tsv');
    writeFileSync(file, twoClassTsv(80));
    await page.getByTestId('classify-upload').setInputFiles(file);
    await page.getByTestId('classify-trainable').selectOption('lora');
    await page.getByTestId('classify-lr').fill('0.02');
    await page.getByTestId('classify-steps').fill('12');
    await page.getByTestId('classify-eval-every').fill('0');
    await page.evaluate(() => {
      const losses: number[] = [];
      (window as unknown as { __losses: number[] }).__losses = losses;
      const loss = document.querySelector('[data-testid="classify-loss"]')!;
      new MutationObserver(() => {
        const value = Number(loss.textContent);
        if (Number.isFinite(value)) losses.push(value);
      }).observe(loss, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('classify-train').click();
    await expect
      .poll(() => page.getByTestId('classify-status').textContent(), { timeout: 300_000 })
      .toMatch(/^Finished at step 12/);
    expect(await page.getByTestId('classifier-info').textContent()).toContain(
      `a new gpt-nano, fine-tuned on texts.tsv (base weights in ${precision}, ${precision} products) · classes ham, spam`,
    );
    expect(await page.getByTestId('classifier-info').textContent()).toContain('trains LoRA rank 8');
    const losses = await page.evaluate(() => (window as unknown as { __losses: number[] }).__losses);
    expect(losses).toHaveLength(12);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const [early, late] = [mean(losses.slice(0, 4)), mean(losses.slice(-4))];
    console.info(`LoRA on a ${precision} base: loss ${early.toFixed(3)} → ${late.toFixed(3)}`);
    expect(late).toBeLessThan(early - 0.1);
  });
});

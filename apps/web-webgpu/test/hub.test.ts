/**
 * GPT-2 from the Hub in the page, in Debian's Chromium: the page is pointed at a Hub on loopback
 * (`?hub=`) serving the GPT-2-format model the PyTorch reference made. It downloads with a progress
 * bar, generates PyTorch's greedy tokens, loads again after a reload without downloading, loads from
 * the browser's storage when offline and says clearly what it cannot load then, and refuses a model
 * the wasm heap cannot hold before fetching its weights.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeHub } from '@scratchgpt/hub/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyIds, promptIds, startTinyGpt2Hub } from '../../node-gpu/test/tiny-gpt2-hub.js';
import { appDir, type Browser, chromiumPath, openApp, type Served } from './browser.js';
import { waitForBackend, waitForStatus } from './page-steps.js';

const prompt = 'Every effort moves you';

describe.runIf(existsSync(chromiumPath))('GPT-2 from the Hub in the page', () => {
  let hub: FakeHub;
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    hub = await startTinyGpt2Hub();
    ({ served, browser, page } = await openApp());
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await hub?.close();
  });

  async function loadFromHub(id: string): Promise<void> {
    await page.getByTestId('hub-model').fill(id);
    await page.getByTestId('load-hub').click();
  }

  it("downloads gpt2 with a progress bar and generates PyTorch's greedy continuation", async () => {
    await page.goto(`${served.url}?backend=webgpu&hub=${encodeURIComponent(hub.endpoint)}`);
    expect(await waitForBackend(page)).toBe('webgpu');
    const progress: number[] = [];
    await page.exposeFunction('__progress', (value: number) => progress.push(value));
    await page.evaluate(() => {
      const bar = document.querySelector<HTMLProgressElement>('[data-testid="hub-progress"]')!;
      new MutationObserver(() =>
        (window as unknown as { __progress(v: number): void }).__progress(bar.value),
      ).observe(bar, { attributes: true });
      // `value` is a property: watch it through the status line's changes as well.
      new MutationObserver(() =>
        (window as unknown as { __progress(v: number): void }).__progress(bar.value),
      ).observe(document.querySelector('[data-testid="status"]')!, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    // On a fast machine 3.2 MB over loopback arrives in one go: a slow network shows the bar moving.
    hub.faults.slow = { chunkBytes: 256 * 1024, delayMs: 50 };
    await loadFromHub('gpt2');
    await waitForStatus(page, /^Loaded gpt2 from the Hub \(3\.2 MB downloaded, now kept in this browser\)/);
    hub.faults.slow = undefined;
    expect(progress.some((value) => value > 0 && value < 1)).toBe(true);
    expect(await page.getByTestId('hub-progress').isHidden()).toBe(true);
    expect(await page.getByTestId('model-info').textContent()).toBe(
      `Model: gpt2 from the Hub (commit ${hub.commitOf('openai-community/gpt2').slice(0, 12)}) · 2 layers, 2 heads, 16-d, context 32 · 811,216 parameters`,
    );
    expect(hub.downloadsOf('model.safetensors').map((request) => request.server)).toEqual(['hub', 'cdn']);

    await page.getByTestId('prompt').fill(prompt);
    await page.getByTestId('temperature').fill('0');
    await page.getByTestId('max-new-tokens').fill(String(greedyIds.length));
    await page.getByTestId('generate').click();
    await waitForStatus(page, /^Generated \d+ tokens/);
    const tokenizer = getGPT2Tokenizer();
    expect(tokenizer.encode(prompt)).toEqual(promptIds);
    expect(await page.getByTestId('output').textContent()).toBe(prompt + tokenizer.decode(greedyIds));
  });

  it("after a reload, loads gpt2 from the browser's storage without downloading it again", async () => {
    const before = hub.requests.length;
    await page.reload();
    await waitForBackend(page);
    await loadFromHub('gpt2');
    await waitForStatus(page, /^Loaded gpt2 from this browser's storage \(nothing downloaded\)/);
    const asked = hub.requests.slice(before).map((request) => `${request.method} ${request.path}`);
    expect(asked).toEqual(['GET /api/models/openai-community/gpt2/revision/main']);
  });

  it('offline, loads what it stored and says clearly what it cannot load', async () => {
    await browser.context.setOffline(true);
    try {
      await loadFromHub('gpt2');
      await waitForStatus(page, /^Loaded gpt2 from this browser's storage/);
      await loadFromHub('gpt2-medium');
      await waitForStatus(page, /^Could not load the model from the Hub: /);
      expect(await page.getByTestId('error').textContent()).toMatch(
        /^could not reach http:\/\/127\.0\.0\.1:\d+ \(.+\): check the network connection or the Hub endpoint; gpt2-medium is not stored in this browser yet: connect once to download it, it then stays here$/,
      );
    } finally {
      await browser.context.setOffline(false);
    }
  });

  it('on wasm, refuses gpt2-xl before fetching its weights, saying what fits', async () => {
    await page.goto(`${served.url}?backend=wasm&hub=${encodeURIComponent(hub.endpoint)}`);
    expect(await waitForBackend(page)).toBe('wasm');
    const before = hub.downloadsOf('model.safetensors').length;
    await loadFromHub('gpt2-xl');
    await waitForStatus(page, /^Could not load the model from the Hub: /);
    expect(await page.getByTestId('error').textContent()).toBe(
      'gpt2-xl needs about 5.8 GiB of tensors to run (1558M parameters, batch 1 × 1); this backend holds 4.0 GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), a smaller batch or context, or a smaller model (gpt2-large fits)',
    );
    expect(hub.downloadsOf('model.safetensors')).toHaveLength(before);
    await page.screenshot({ path: join(appDir, 'test-results', 'hub.png'), fullPage: true });
  });
});

/**
 * Today's open models in the page, in Debian's Chromium on wasm: a small random Qwen3 from a Hub on
 * loopback is judged from its config.json, downloaded with progress, stored in bf16 (the card's
 * default), and chats in its own chat template, its greedy answer streamed token by token and ending at
 * the generation config's EOS token exactly where the same model, loaded in bf16, ends it in Node; a reload loads it from Cache Storage without
 * downloading; Qwen3 0.6B is said to fit the wasm heap and 1.7B refused, naming what fits, before any
 * weight is asked for; and LoRA trains a tiny model of each family with a falling validation loss.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeHub } from '@scratchgpt/hub/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, type Browser, chromiumPath, openApp, type Served } from './browser.js';
import { type ExpectedAnswer, startTinyQwen3Hub, TINY_QWEN3 } from './open-model-hub.js';
import { waitForBackend, waitForStatus } from './page-steps.js';

const message = 'Hello there';

describe.runIf(existsSync(chromiumPath))('open models in the page', () => {
  let hub: FakeHub;
  let answer: ExpectedAnswer;
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(join(appDir, 'test-results'), { recursive: true });
    ({ hub, answer } = await startTinyQwen3Hub(message));
    ({ served, browser, page } = await openApp());
    await page.goto(`${served.url}?backend=wasm&hub=${encodeURIComponent(hub.endpoint)}`);
    expect(await waitForBackend(page)).toBe('wasm');
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await hub?.close();
  });

  async function loadOpenModel(id: string): Promise<void> {
    await page.getByTestId('open-model-id').fill(id);
    await page.getByTestId('load-open-model').click();
  }

  it('says which size a model is and whether wasm holds it in the precision chosen, before fetching its weights', async () => {
    expect(await page.getByTestId('open-model-id').inputValue()).toBe('Qwen/Qwen3-0.6B');
    expect(await page.getByTestId('open-model-precision').inputValue()).toBe('bf16');
    await loadOpenModel('Qwen/Qwen3-0.6B');
    await waitForStatus(page, /^Could not load the open model: /, 60_000, 'chat-status');
    expect(await page.getByTestId('open-model-info').textContent()).toBe(
      "Qwen/Qwen3-0.6B: Qwen3 0.6B, 596.0M parameters, 1.1 GiB of bf16 weights; fits this backend's 4.0 GiB.",
    );
    // In float32, 1.7B is refused before anything but config.json is read; in bf16 it fits.
    await page.getByTestId('open-model-precision').selectOption('f32');
    await loadOpenModel('Qwen/Qwen3-1.7B');
    await waitForStatus(page, /^Could not load the open model: Qwen\/Qwen3-1\.7B: /, 60_000, 'chat-status');
    expect(await page.getByTestId('open-model-info').textContent()).toMatch(
      /^Qwen\/Qwen3-1\.7B: Qwen3 1\.7B, 1720\.6M parameters, 6\.4 GiB of float32 weights; does not fit this backend's 4\.0 GiB\. What fits: Qwen3 0\.6B, .*Gemma 3 270M/,
    );
    await page.getByTestId('open-model-precision').selectOption('bf16');
    await loadOpenModel('Qwen/Qwen3-1.7B');
    await waitForStatus(page, /^Could not load the open model: .*model\.safetensors/, 60_000, 'chat-status');
    expect(await page.getByTestId('open-model-info').textContent()).toBe(
      "Qwen/Qwen3-1.7B: Qwen3 1.7B, 1720.6M parameters, 3.2 GiB of bf16 weights; fits this backend's 4.0 GiB.",
    );
    expect(hub.requests.some((request) => request.path.includes('safetensors'))).toBe(false);
  });

  it('downloads a Qwen3 with progress and answers in its chat template, token by token, up to its EOS', async () => {
    const progress: number[] = [];
    await page.exposeFunction('__openProgress', (value: number) => progress.push(value));
    await page.evaluate(() => {
      const bar = document.querySelector<HTMLProgressElement>('[data-testid="open-model-progress"]')!;
      const status = document.querySelector('[data-testid="chat-status"]')!;
      const report = () =>
        (window as unknown as { __openProgress(v: number): void }).__openProgress(bar.value);
      new MutationObserver(report).observe(status, { childList: true, characterData: true, subtree: true });
    });
    hub.faults.slow = { chunkBytes: 64 * 1024, delayMs: 30 };
    await loadOpenModel(TINY_QWEN3);
    await waitForStatus(
      page,
      /^Loaded acme\/tiny-qwen3-chat from the Hub \(0\.\d MB downloaded/,
      120_000,
      'chat-status',
    );
    hub.faults.slow = undefined;
    expect(progress.some((value) => value > 0 && value < 1)).toBe(true);
    expect(await page.getByTestId('open-model-progress').isHidden()).toBe(true);
    expect(await page.getByTestId('open-model-info').textContent()).toMatch(
      /^acme\/tiny-qwen3-chat: a Qwen3 of a size of its own, 0\.\dM parameters, 0\.0 GiB of bf16 weights; fits/,
    );
    expect(await page.getByTestId('chat-model').inputValue()).toBe('open');
    expect(await page.getByTestId('chat-thinking-label').isVisible()).toBe(true);
    expect(await page.getByTestId('chat-thinking').isChecked()).toBe(false);

    // Every text the answer showed on its way, recorded in the page.
    await page.evaluate(() => {
      const log = document.querySelector('[data-testid="chat-log"]')!;
      const seen: string[] = [];
      (window as unknown as { __answers: string[] }).__answers = seen;
      new MutationObserver(() => {
        const last = [...log.querySelectorAll('[data-testid="chat-answer"]')].at(-1);
        if (last?.textContent && last.textContent !== seen.at(-1)) seen.push(last.textContent);
      }).observe(log, { childList: true, characterData: true, subtree: true });
    });
    await page.getByTestId('chat-temperature').fill('0');
    await page.getByTestId('chat-max-new-tokens').fill('24');
    await page.getByTestId('chat-input').fill(message);
    await page.getByTestId('chat-send').click();
    await waitForStatus(page, /^Answered \(the model ended its answer\)\./, 120_000, 'chat-status');
    const shown = page.getByTestId('chat-answer').last();
    expect(answer.tokens).toBeGreaterThan(0);
    expect(await shown.getAttribute('data-ended')).toBe('end-of-text');
    expect(await shown.textContent()).toBe(answer.text);
    const seen = await page.evaluate(() => (window as unknown as { __answers: string[] }).__answers);
    // Streamed: the answer grew as its tokens came.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(answer.text);
    await page.screenshot({ path: join(appDir, 'test-results', 'open-model-chat.png'), fullPage: true });
  });

  it("after a reload, loads it from the browser's storage without downloading a file", async () => {
    const before = hub.requests.length;
    await page.reload();
    await waitForBackend(page);
    await loadOpenModel(TINY_QWEN3);
    await waitForStatus(
      page,
      /^Loaded acme\/tiny-qwen3-chat from this browser's storage \(nothing downloaded\)/,
      120_000,
      'chat-status',
    );
    const asked = hub.requests.slice(before).map((request) => `${request.method} ${request.path}`);
    expect(asked).toEqual([`GET /api/models/${TINY_QWEN3}/revision/main`]);
  });

  it.each([
    ['qwen3', 'Qwen3'],
    ['llama3', 'Llama 3'],
    ['gemma3', 'Gemma 3'],
  ])('LoRA-tunes a tiny random %s on the text, the validation loss falling', async (family, name) => {
    await page.getByTestId('open-lora-family').selectOption(family);
    await page.getByTestId('open-lora-rank').fill('4');
    await page.getByTestId('open-lora-lr').fill('0.05');
    await page.getByTestId('open-lora-steps').fill('10');
    await page.getByTestId('open-lora-context').fill('16');
    await page.getByTestId('open-lora-batch').fill('2');
    await page.evaluate(() => {
      const losses: number[] = [];
      (window as unknown as { __valLosses: number[] }).__valLosses = losses;
      const value = document.querySelector('[data-testid="open-lora-val-loss"]')!;
      new MutationObserver(() => {
        const loss = Number(value.textContent);
        if (Number.isFinite(loss)) losses.push(loss);
      }).observe(value, { childList: true, characterData: true, subtree: true });
    });
    await page.getByTestId('open-lora-train').click();
    await waitForStatus(page, /^Trained the LoRA updates for 10 steps\./, 240_000, 'open-lora-status');
    expect(await page.getByTestId('open-lora-info').textContent()).toMatch(
      new RegExp(
        `^${name}: 2 layers .* parameters frozen \\(base weights in f32\\), [\\d,]+ in LoRA updates trained\\.$`,
      ),
    );
    expect(await page.getByTestId('open-lora-step').textContent()).toBe('10');
    const losses = await page.evaluate(() => (window as unknown as { __valLosses: number[] }).__valLosses);
    // Evaluated after the first step and the last, on the same batches.
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(losses[0]!);
    expect(await page.getByTestId('open-lora-chart').getAttribute('data-points')).toBe('10');
    // The Train card's stats are not this card's.
    expect(await page.getByTestId('step').textContent()).toBe('–');
  });
});

/**
 * The chat panel talking to `scratchgpt serve` (`?server=`), in Debian's Chromium: the server's models
 * are listed, an answer streams in token by token and equals the server's own greedy answer, Stop ends
 * it (and the server stops generating), and a server that is down or an address that is not http(s)
 * is one readable line.
 */
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../../node-gpu/test/cli-harness.js';
import {
  makePretrained,
  type ServeProcess,
  startServe,
  waitForHealth,
} from '../../node-gpu/test/serve-harness.js';
import { type Browser, chromiumPath, freePort, openApp, type Served } from './browser.js';
import { waitForStatus } from './page-steps.js';

const message = 'Name a primary color.';

declare global {
  interface Window {
    /** The answer's text lengths, each time it changed. */
    __answerLengths: number[];
  }
}

describe.runIf(existsSync(chromiumPath))('the chat panel with ?server=', () => {
  let server: ServeProcess;
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    assertBuilt();
    const { pretrained } = await makePretrained();
    ({ served, browser, page } = await openApp());
    const origin = new URL(served.url).origin;
    // A plain GPT chats in the Alpaca format: the quickest chat model to make.
    server = await startServe([
      '--model',
      `tiny=${pretrained}`,
      '--format',
      'alpaca',
      '--allow-origin',
      origin,
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await server?.stop();
  });

  const openWithServer = (address: string) =>
    page.goto(`${served.url}?backend=wasm&server=${encodeURIComponent(address)}`);

  it("lists the server's models and streams its greedy answer", async () => {
    await openWithServer(server.url);
    await waitForStatus(page, /^Connected to http:\/\/127\.0\.0\.1:\d+/, 60_000, 'chat-status');
    expect(await page.getByTestId('chat-server-url').textContent()).toBe(`${server.url}/`);
    expect(await page.locator('[data-testid="chat-server-model"] option').allTextContents()).toEqual([
      'tiny',
    ]);

    const maxTokens = 16;
    await page.getByTestId('chat-max-new-tokens').fill(String(maxTokens));
    await page.getByTestId('chat-temperature').fill('0');
    await watchAnswerLengths(page);
    await page.getByTestId('chat-input').fill(message);
    await page.getByTestId('chat-send').click();
    await waitForStatus(page, /^Answered/, 60_000, 'chat-status');

    const whole = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: message }],
        max_tokens: maxTokens,
        temperature: 0,
      }),
    });
    const reply = (await whole.json()) as {
      choices: [{ message: { content: string }; finish_reason: 'stop' | 'length' }];
    };
    const [choice] = reply.choices;
    expect(choice.message.content).not.toBe('');
    const marker = choice.finish_reason === 'length' ? ' [token limit]' : '';
    expect(await page.getByTestId('chat-answer').textContent()).toBe(choice.message.content + marker);
    // It grew as the tokens came, not all at once.
    const lengths = await page.evaluate(() => window.__answerLengths);
    expect(new Set(lengths.filter((length) => length > 0)).size).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid="chat-log"] .user').allTextContents()).toEqual([message]);
  });

  it('stops a long answer with Stop, and the server stops generating it', async () => {
    await page.getByTestId('chat-max-new-tokens').fill('1024');
    await page.getByTestId('chat-input').fill('Tell me more.');
    await page.getByTestId('chat-send').click();
    await page.waitForFunction(
      () => (document.querySelectorAll('[data-testid="chat-answer"]')[1]?.textContent ?? '') !== '',
    );
    await page.getByTestId('chat-stop').click();
    await waitForStatus(page, /^Stopped the answer\./, 60_000, 'chat-status');
    expect(await page.getByTestId('chat-answer').last().getAttribute('data-ended')).toBe('stopped');
    await waitForHealth(server.url, (health) => health.queue.running === 0);
    expect(await page.getByTestId('chat-send').isEnabled()).toBe(true);
  });

  it('says in one line that a server is down, or that an address is not http(s)', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    await openWithServer(down);
    await waitForStatus(page, /^Could not list/, 60_000, 'chat-status');
    const status = page.getByTestId('chat-status');
    expect(await status.textContent()).toBe(
      `Could not list the server's models: Could not reach ${down}: is \`scratchgpt serve\` running there, with --allow-origin ${new URL(served.url).origin}?`,
    );
    expect(await status.getAttribute('class')).toContain('failed');
    expect(await page.getByTestId('chat-send').isDisabled()).toBe(true);

    await openWithServer('javascript:alert(1)');
    await waitForStatus(page, /must be an http/, 60_000, 'chat-status');
    expect(await status.textContent()).toBe(
      '?server=javascript:alert(1) must be an http:// or https:// address',
    );
    expect(await page.getByTestId('chat-server').isHidden()).toBe(true);
  });
});

/** Records the first answer's length each time it changes, from inside the page. */
async function watchAnswerLengths(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__answerLengths = [];
    const log = document.querySelector('[data-testid="chat-log"]')!;
    new MutationObserver(() => {
      const answer = log.querySelector('[data-testid="chat-answer"]');
      if (answer) window.__answerLengths.push(answer.textContent?.length ?? 0);
    }).observe(log, { subtree: true, childList: true, characterData: true });
  });
}

/** Watches the page's step counter from inside the page, so no step is missed between two polls. */
import type { Page } from 'playwright-core';

export interface StepRecord {
  step: number;
  loss: number;
  /** performance.now() in the page when the step appeared. */
  at: number;
}

declare global {
  interface Window {
    __steps: StepRecord[];
    /** Every status line the page showed since `recordSteps`. */
    __statuses: string[];
  }
}

// The callbacks below run in the page: they name no inner functions, which some TypeScript runners
// wrap in helpers the page does not have.

export async function recordSteps(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__steps = [];
    window.__statuses = [];
    const status = document.querySelector('[data-testid="status"]')!;
    new MutationObserver(() => window.__statuses.push(status.textContent ?? '')).observe(status, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    new MutationObserver(() => {
      const step = Number(document.querySelector('[data-testid="step"]')?.textContent);
      const loss = Number(document.querySelector('[data-testid="train-loss"]')?.textContent);
      if (Number.isInteger(step) && step > 0 && window.__steps.at(-1)?.step !== step) {
        window.__steps.push({ step, loss, at: performance.now() });
      }
    }).observe(document.querySelector('.stats')!, { subtree: true, childList: true, characterData: true });
  });
}

export function readSteps(page: Page): Promise<StepRecord[]> {
  return page.evaluate(() => window.__steps);
}

export async function waitForStep(page: Page, step: number, timeout = 300_000): Promise<void> {
  await page.waitForFunction((n) => (window.__steps.at(-1)?.step ?? 0) >= n, step, { timeout });
}

/** Waits for the page's backend badge and returns what it names (`webgpu` or `wasm`). */
export async function waitForBackend(page: Page): Promise<string> {
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="backend"]')?.getAttribute('data-backend'),
  );
  return (await page.getByTestId('backend').getAttribute('data-backend')) ?? '';
}

/** Waits until a status line matches: the Train card's, or the one of another card (`chat-status`). */
export async function waitForStatus(
  page: Page,
  pattern: RegExp,
  timeout = 120_000,
  testId = 'status',
): Promise<void> {
  await page.waitForFunction(
    ([source, flags, id]) =>
      new RegExp(source!, flags).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    [pattern.source, pattern.flags, testId],
    { timeout },
  );
}

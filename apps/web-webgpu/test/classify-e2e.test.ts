/**
 * The page's classify mode in Debian's Chromium (headless, on wasm for speed): one clear error for each
 * kind of bad input, a fine-tuning run on the bundled SMS data with live loss and accuracy, a text
 * classified with its probabilities, the classifier saved, loaded in Node with the same
 * probabilities, and loaded back into the page.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classify } from '@scratchgpt/classifier';
import { loadClassifierDirectory } from '@scratchgpt/classifier/node';
import { initBackend } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, type Browser, chromiumPath, launchChromium, type Served, servePreview } from './browser.js';
import { waitForBackend } from './page-steps.js';

const hasChromium = existsSync(chromiumPath);
const resultsDir = join(appDir, 'test-results');
const spamText = 'You are a winner you have been specially selected to receive $1000 cash or a $2000 award.';

if (!hasChromium) console.warn(`classify end-to-end test skipped: no Chromium at ${chromiumPath}`);

declare global {
  interface Window {
    __classifyLosses: number[];
  }
}

describe.runIf(hasChromium)('the classify mode in Chromium', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let work: string;
  let pageProbabilities: number[];

  beforeAll(async () => {
    mkdirSync(resultsDir, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'scratchgpt-classify-e2e-'));
    served = await servePreview();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(`${served.url}?backend=wasm`);
    expect(await waitForBackend(page)).toBe('wasm');
    await page.getByTestId('model-size').selectOption('gpt-nano');
    await page.getByTestId('context-length').fill('64');
  });

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Uploads a labelled file, starts fine-tuning, and returns the one-line error the page shows. */
  async function errorFor(name: string, content: string | null, labelColumn = ''): Promise<string> {
    if (content === null) {
      await page.getByTestId('classify-use-sms').click();
    } else {
      const path = join(work, name);
      writeFileSync(path, content);
      await page.getByTestId('classify-upload').setInputFiles(path);
      await expect.poll(() => page.getByTestId('classify-data-info').textContent()).toContain(name);
    }
    await page.getByTestId('classify-label-column').fill(labelColumn);
    const status = page.getByTestId('classify-status');
    const before = await status.textContent();
    await page.getByTestId('classify-train').click();
    // The reason shows in this card (where the user is), in place of the failure before it.
    // Class and text read together: read apart, a progress line ("Reading …") written between the two
    // reads would pass for the new failure while the old one's class is still on.
    const failure = () =>
      status.evaluate((line) => ({ failed: line.className === 'status failed', text: line.textContent }));
    await expect
      .poll(
        async () => {
          const { failed, text } = await failure();
          return failed && text !== before;
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    const reason = (await failure()).text ?? '';
    expect(await page.getByTestId('error').textContent()).toBe(reason);
    expect(reason.split('\n')).toHaveLength(1);
    await expect.poll(() => page.getByTestId('classify-train').isEnabled()).toBe(true);
    return reason;
  }

  it('says what is wrong with bad input, in one line', async () => {
    expect(await errorFor('empty.tsv', '')).toBe(
      'empty.tsv is empty: it needs one labelled text per line (label<TAB>text)',
    );
    expect(await errorFor('one.tsv', 'ham\thello\nham\tthere\n')).toBe(
      "one.tsv has only one label, 'ham': a classifier needs texts of at least two classes",
    );
    expect(await errorFor('named.csv', 'text,label\nhi,a\nyo,b\n', 'category')).toBe(
      `named.csv has no label column 'category': its first row is "text", "label" (name a column of its header, or give a 0-based index)`,
    );
    expect(await errorFor('sms', null)).toBe(
      "The longest training text of sms-spam-collection.tsv has 120 tokens, more than the model's context of 64: give a maximum length of at most 64 to truncate longer texts",
    );
  });

  it('at 1,400 px: every select shows its options whole, chat spans the page, the result is in the page font', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    const cut = await page.evaluate(() =>
      [...document.querySelectorAll('select')]
        // Only what the page shows: the server chat's model list stays hidden without ?server=.
        .filter((select) => select.checkVisibility())
        .filter((select) => {
          const probe = document.createElement('span');
          Object.assign(probe.style, {
            font: getComputedStyle(select).font,
            position: 'absolute',
            whiteSpace: 'pre',
          });
          document.body.append(probe);
          const widths = [...select.options].map((option) => {
            probe.textContent = option.text;
            return probe.getBoundingClientRect().width;
          });
          probe.remove();
          const style = getComputedStyle(select);
          const arrow = 20;
          const room =
            select.clientWidth -
            Number.parseFloat(style.paddingLeft) -
            Number.parseFloat(style.paddingRight) -
            arrow;
          return Math.max(0, ...widths) > room;
        })
        .map((select) => select.dataset.testid),
    );
    expect(cut).toEqual([]);
    const width = (selector: string) =>
      page.locator(selector).evaluate((e) => e.getBoundingClientRect().width);
    expect(await width('section.chat')).toBe(await width('section.classify'));
    const fonts = await page.evaluate(() => [
      getComputedStyle(document.querySelector('[data-testid="classify-result"]')!).fontFamily,
      getComputedStyle(document.body).fontFamily,
    ]);
    expect(fonts[0]).toBe(fonts[1]);
    await page.screenshot({ path: join(resultsDir, 'classify-1400.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('fine-tunes on the SMS data with the loss and accuracy drawn live, and reports the test accuracy', async () => {
    await page.evaluate(() => {
      window.__classifyLosses = [];
      const loss = document.querySelector('[data-testid="classify-loss"]')!;
      new MutationObserver(() => {
        const value = Number(loss.textContent);
        if (Number.isFinite(value)) window.__classifyLosses.push(value);
      }).observe(loss, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await page.getByTestId('classify-max-length').fill('64');
    await page.getByTestId('classify-trainable').selectOption('all');
    await page.getByTestId('classify-lr').fill('0.002');
    await page.getByTestId('classify-steps').fill('40');
    await page.getByTestId('classify-eval-every').fill('10');
    await page.getByTestId('classify-train').click();
    await expect
      .poll(() => page.getByTestId('classify-status').textContent(), { timeout: 400_000 })
      .toMatch(/^Finished at step 40: test accuracy [\d.]+%\.$/);
    expect(await page.getByTestId('error').isHidden()).toBe(true);
    const losses = await page.evaluate(() => window.__classifyLosses);
    expect(losses.length).toBeGreaterThanOrEqual(30);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const [early, late] = [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
    const test = Number((await page.getByTestId('classify-test-accuracy').textContent())?.replace('%', ''));
    console.info(`classify mode: loss ${early.toFixed(3)} → ${late.toFixed(3)}, test accuracy ${test}%`);
    expect(late).toBeLessThan(early);
    expect(test).toBeGreaterThan(60);
    expect(await page.getByTestId('classify-accuracy').textContent()).toMatch(/^\d+\.\d%$/);
    expect(await page.locator('[data-testid="classify-chart"] canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('classifier-info').textContent()).toMatch(
      /^Classifier: a new gpt-nano, fine-tuned on sms-spam-collection\.tsv · classes ham, spam · 64 tokens · pooling last-non-pad/,
    );
  });

  it('classifies typed text with every class probability', async () => {
    await page.getByTestId('classify-text').fill(spamText);
    await page.getByTestId('classify-run').click();
    const items = page.locator('[data-testid="classify-probabilities"] li');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.evaluateAll((li) => li.map((item) => (item as HTMLElement).dataset.class))).toEqual([
      'ham',
      'spam',
    ]);
    pageProbabilities = await items.evaluateAll((li) =>
      li.map((item) => Number((item as HTMLElement).dataset.probability)),
    );
    expect(pageProbabilities[0]! + pageProbabilities[1]!).toBeCloseTo(1, 5);
    const label = pageProbabilities[1]! > pageProbabilities[0]! ? 'spam' : 'ham';
    expect(await page.getByTestId('classify-result').textContent()).toBe(label);
    await page.screenshot({ path: join(resultsDir, 'classify.png'), fullPage: true });
  });

  it('saves a classifier that Node loads and that gives the same probabilities', async () => {
    const downloads: Download[] = [];
    const collect = (download: Download) => downloads.push(download);
    page.on('download', collect);
    await page.getByTestId('classify-save').click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(4);
    page.off('download', collect);
    const dir = join(work, 'classifier');
    mkdirSync(dir);
    for (const download of downloads) await download.saveAs(join(dir, download.suggestedFilename()));
    await initBackend({ prefer: 'wasm' });
    const { classifier, settings } = await loadClassifierDirectory(dir);
    expect(settings).toMatchObject({
      classes: ['ham', 'spam'],
      maxLength: 64,
      pooling: 'last-non-pad',
      trainable: 'all',
    });
    const result = await classify(classifier, getGPT2Tokenizer(), spamText, settings);
    for (const [i, p] of result.probabilities.entries())
      expect(Math.abs(p - pageProbabilities[i]!)).toBeLessThan(1e-4);
    classifier.dispose();
  });

  it('loads the saved classifier back and says what is missing from a partial choice', async () => {
    const dir = join(work, 'classifier');
    const input = page.getByTestId('classify-load');
    await input.setInputFiles([join(dir, 'config.json'), join(dir, 'model.safetensors')]);
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toMatch(/^Choose a classifier's files together: .* missing classifier\.json, classifier\.safetensors/);
    await input.setInputFiles(
      ['config.json', 'model.safetensors', 'classifier.json', 'classifier.safetensors'].map((name) =>
        join(dir, name),
      ),
    );
    await expect
      .poll(() => page.getByTestId('classifier-info').textContent())
      .toMatch(/^Classifier: model\.safetensors and its classifier files · classes ham, spam/);
    expect(await page.getByTestId('classify-status').textContent()).toBe(
      'Loaded a classifier of ham, spam: classify a text with it.',
    );
    await page.evaluate(() =>
      document.querySelector('[data-testid="classify-probabilities"]')!.replaceChildren(),
    );
    await page.getByTestId('classify-run').click();
    const items = page.locator('[data-testid="classify-probabilities"] li');
    await expect
      .poll(() =>
        items.evaluateAll((li) => li.map((item) => Number((item as HTMLElement).dataset.probability))),
      )
      .toEqual(pageProbabilities);
  });
});

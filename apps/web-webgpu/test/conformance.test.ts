/**
 * The conformance suite in Chromium on its WebGPU adapter (SwiftShader where there is no GPU): values
 * and gradients of every case against the cpu backend, with scratchgpt's kernels in the layouts the
 * adapter gets and in the GPU layouts, and `roundToPrecision` bit for bit against the typed-array
 * reference.
 */
import { join } from 'node:path';
import { conformanceCases, type RoundingCheck } from '@scratchgpt/tensor/conformance';
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDir, type Browser, launchChromium } from './browser.js';

let server: ViteDevServer;
let browser: Browser;

beforeAll(async () => {
  server = await createServer({
    root: join(appDir, 'test', 'conformance'),
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['@scratchgpt/source', ...defaultClientConditions] },
    server: { host: '127.0.0.1', port: 0 },
  });
  await server.listen();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Outcome {
  name: string;
  ok: boolean;
  value: string;
  gradients: string[];
}

describe('conformance in Chromium on WebGPU', () => {
  it.each([
    ['adapter layouts', ''],
    ['GPU layouts', '?layouts=gpu'],
  ])('%s: every case matches cpu', async (_, query) => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.resolvedUrls?.local[0]}${query}`);
      await page.waitForFunction(
        () => !document.querySelector('[data-testid="result"]')?.textContent?.startsWith('running'),
        undefined,
        { timeout: 600_000 },
      );
      const result = JSON.parse((await page.getByTestId('result').textContent()) ?? '{}');
      expect(result.error).toBeUndefined();
      expect(result.backend).toBe('webgpu');
      const failed = (result.cases as Outcome[]).filter((c) => !c.ok);
      expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
      expect((result.cases as Outcome[]).map((c) => c.name)).toEqual(conformanceCases.map((c) => c.name));
      const rounding = result.rounding as RoundingCheck[];
      expect(rounding.filter((check) => check.mismatches.length > 0)).toEqual([]);
      expect(rounding.map((check) => check.name)).toEqual([
        'f16: values',
        'f16: gradient',
        'bf16: values',
        'bf16: gradient',
      ]);
    } finally {
      await page.close();
    }
  });
});

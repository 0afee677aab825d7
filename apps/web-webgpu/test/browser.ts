/**
 * What the end-to-end test and the benchmark share: the built app served by `vite preview` on a free
 * local port, and Debian's Chromium started headless with WebGPU (SwiftShader where there is no GPU).
 * Nothing here downloads a browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';

export const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const chromiumPath = process.env.SCRATCHGPT_CHROMIUM ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Builds the app unless dist/ holds a build already (the root `pnpm test` builds it first). */
export function ensureBuilt(): void {
  if (existsSync(join(appDir, 'dist', 'index.html'))) return;
  const vite = join(appDir, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build'], { cwd: appDir, stdio: 'inherit' });
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves dist/ with `vite preview` on a free port of 127.0.0.1: with the app's config, so cross-origin
 * isolated, or (`isolated: false`) without it, as a server that sends no COOP/COEP headers.
 */
export async function servePreview({ isolated = true } = {}): Promise<Served> {
  ensureBuilt();
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: appDir,
    configFile: isolated ? join(appDir, 'vite.config.ts') : false,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/** A port of 127.0.0.1 free now (nothing listens on it once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address != null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium, headless, with a fresh profile; WebGPU on (never --disable-gpu). */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'scratchgpt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The built app served, Chromium started and a page opened on nothing yet; page errors are printed. */
export async function openApp(): Promise<{ served: Served; browser: Browser; page: Page }> {
  const served = await servePreview();
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  return { served, browser, page };
}

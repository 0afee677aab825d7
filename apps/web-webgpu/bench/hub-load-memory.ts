/**
 * How much memory the page takes to load GPT-2 from the Hub, in Debian's Chromium: a random GPT-2 of
 * the preset (Hugging Face layout, F32) is served by a Hub on loopback, the built page (`--app`, default
 * this app's dist/) is pointed at it, and Load is pressed twice: the first load downloads into Cache
 * Storage, the second (after a reload) reads from it. The resident memory of every process Chromium
 * runs is summed every 50 ms; the peak above what they held just before Load is the figure, given as
 * a ratio to the weights file. The float32 model itself is about the file's size, so a loader that
 * holds the file whole beside the model shows about 2×, one that reads it tensor by tensor about 1×.
 *
 *   pnpm --filter web-webgpu bench:load [--preset gpt2-small] [--backend wasm] [--app DIR] [--label NAME]
 *
 * `--app` serves another build of the page (e.g. one of an earlier commit) for a comparison on the same
 * machine and file. Prints one JSON line per load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GPTModel, type PresetName, preset, serializeCheckpoint } from '@scratchgpt/gpt-model';
import { startFakeHub } from '@scratchgpt/hub/testing';
import { Generator, initBackend } from '@scratchgpt/tensor';
import { preview } from 'vite';
import { appDir, freePort, launchChromium } from '../test/browser.js';
import { waitForBackend, waitForStatus } from '../test/page-steps.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'gpt2-small' },
    backend: { type: 'string', default: 'wasm' },
    app: { type: 'string', default: appDir },
    label: { type: 'string', default: 'this build' },
  },
});

/** Every process below this one (Chromium's browser, renderers, GPU and utility processes), by pid. */
function descendants(): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 4th field, after the command name in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while the table was read.
    }
  }
  const found: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    const parent = queue.pop() as number;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Resident bytes of Chromium's processes together (this process, which serves the file, left out). */
function chromiumResidentBytes(): number {
  let total = 0;
  for (const pid of descendants()) {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += match ? Number(match[1]) * 1024 : 0;
    } catch {
      // Ended meanwhile.
    }
  }
  return total;
}

async function randomGpt2(): Promise<{ config: Uint8Array; weights: Uint8Array }> {
  await initBackend({ prefer: 'cpu' });
  const model = new GPTModel(preset(values.preset as PresetName), { generator: new Generator(1) });
  const files = await serializeCheckpoint(model, { layout: 'hf' });
  model.dispose();
  return { config: new TextEncoder().encode(JSON.stringify(files.config)), weights: files.weights };
}

const { config, weights } = await randomGpt2();
const hub = await startFakeHub({
  repos: { 'openai-community/gpt2': { files: { 'config.json': config, 'model.safetensors': weights } } },
});
const port = await freePort();
const server = await preview({
  root: values.app,
  configFile: join(values.app, 'vite.config.ts'),
  logLevel: 'warn',
  preview: { host: '127.0.0.1', port, strictPort: true, open: false },
});
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  const url = `http://127.0.0.1:${port}/?backend=${values.backend}&hub=${encodeURIComponent(hub.endpoint)}`;
  for (const load of ['download', 'from storage'] as const) {
    await page.goto(url);
    const backend = await waitForBackend(page);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = chromiumResidentBytes();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, chromiumResidentBytes());
    }, 50);
    const started = performance.now();
    await page.getByTestId('hub-model').fill('gpt2');
    await page.getByTestId('load-hub').click();
    await waitForStatus(page, /^Loaded gpt2 /, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = chromiumResidentBytes();
    console.log(
      JSON.stringify({
        build: values.label,
        preset: values.preset,
        backend,
        load,
        fileBytes: weights.byteLength,
        peakAboveBefore: peak - before,
        peakRatioToFile: Number(((peak - before) / weights.byteLength).toFixed(3)),
        afterRatioToFile: Number(((after - before) / weights.byteLength).toFixed(3)),
        seconds: Number(seconds.toFixed(1)),
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
  await hub.close();
}

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubFailure, tinyGpt2 } from '../test/fixture.js';
import { MemoryCacheStorage } from '../test/memory-cache-storage.js';
import { type FakeHub, startFakeHub } from '../testing/fake-hub.js';
import { type BrowserModelOptions, fetchModelInBrowser, openModelInBrowser } from './browser-model.js';

let hub: FakeHub;
let storage: MemoryCacheStorage;

beforeAll(async () => {
  hub = await startFakeHub({ repos: { 'openai-community/gpt2': { files: tinyGpt2 } } });
});
afterAll(() => hub.close());
beforeEach(() => {
  storage = new MemoryCacheStorage();
  hub.requests.length = 0;
  hub.faults.corrupt = false;
  hub.faults.cut = undefined;
  hub.faults.silent = false;
  hub.faults.stall = undefined;
});

const load = (options: BrowserModelOptions = {}) =>
  fetchModelInBrowser('gpt2', { endpoint: hub.endpoint, caches: storage.asCacheStorage(), ...options });

/** Byte equality without a deep comparison of millions of elements. */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('fetchModelInBrowser', () => {
  it('downloads the config and the weights once, then serves them from Cache Storage', async () => {
    const loaded: number[] = [];
    const first = await load({
      onProgress: ({ file, loaded: bytes }) => file === 'model.safetensors' && loaded.push(bytes),
    });
    expect(first.source).toBe('hub');
    expect(first.commit).toBe(hub.commitOf('openai-community/gpt2'));
    expect(same(first.weights!, tinyGpt2['model.safetensors'])).toBe(true);
    expect(first.config).toEqual(JSON.parse(new TextDecoder().decode(tinyGpt2['config.json'])));
    expect(first.downloadedBytes).toBe(
      tinyGpt2['model.safetensors'].byteLength + tinyGpt2['config.json'].byteLength,
    );
    expect(loaded.at(-1)).toBe(tinyGpt2['model.safetensors'].byteLength);

    hub.requests.length = 0;
    const second = await load();
    expect(second).toMatchObject({ source: 'hub', downloadedBytes: 0 });
    expect(same(second.weights!, tinyGpt2['model.safetensors'])).toBe(true);
    // Only the revision's description is asked for again.
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/models/openai-community/gpt2/revision/main',
    ]);
  });

  it('offline, loads what it stored, and says so clearly when it stored nothing', async () => {
    await load();
    // What fetch does in a browser without a network.
    const offlineFetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const offline = await load({ fetch: offlineFetch });
    expect(offline.source).toBe('cache');
    expect(same(offline.weights!, tinyGpt2['model.safetensors'])).toBe(true);

    const empty = new MemoryCacheStorage();
    const error = await hubFailure(load({ fetch: offlineFetch, caches: empty.asCacheStorage() }));
    expect(error.code).toBe('offline');
    expect(error.message).toBe(
      `could not reach ${hub.endpoint} (Failed to fetch): check the network connection or the Hub endpoint; gpt2 is not stored in this browser yet: connect once to download it, it then stays here`,
    );
  });

  it('stores nothing when the weights do not match their checksum', async () => {
    hub.faults.corrupt = true;
    const error = await hubFailure(load());
    expect(error.code).toBe('integrity');
    expect(error.message).toMatch(/^model\.safetensors of gpt2 does not match the Hub's checksum/);
    const stored = [...(storage.caches.get('scratchgpt-hub')?.keys() ?? [])];
    expect(stored.filter((key) => key.endsWith('model.safetensors') || key.includes('/api/'))).toEqual([]);
  });

  it('streams the weights into the cache as they arrive, and hands them over as Blobs read by range', async () => {
    const weights = tinyGpt2['model.safetensors'];
    const opened = await openModelInBrowser('gpt2', {
      endpoint: hub.endpoint,
      caches: storage.asCacheStorage(),
      onProgress: ({ file, loaded, total }) => {
        if (file === 'model.safetensors') storage.log.push(`progress ${loaded} of ${total}`);
      },
    });
    // The cache took chunks while the download was still under way: no buffer held the whole file.
    const weightsKey = [...storage.caches.get('scratchgpt-hub')!.keys()].find((key) =>
      key.endsWith('/model.safetensors'),
    )!;
    const firstPut = storage.log.findIndex((entry) => entry.startsWith(`put ${weightsKey} `));
    const lastProgress = storage.log.lastIndexOf(`progress ${weights.byteLength} of ${weights.byteLength}`);
    expect(firstPut).toBeGreaterThanOrEqual(0);
    expect(firstPut).toBeLessThan(lastProgress);
    expect(storage.log.filter((entry) => entry.startsWith(`put ${weightsKey} `)).length).toBeGreaterThan(1);

    expect(opened.weights).toBeInstanceOf(Blob);
    expect(opened.weights!.size).toBe(weights.byteLength);
    expect(opened.files.get('model.safetensors')).toBe(opened.weights);
    const range = new Uint8Array(await opened.weights!.slice(1000, 5000).arrayBuffer());
    expect(same(range, weights.subarray(1000, 5000))).toBe(true);
    expect(await opened.files.get('config.json')!.text()).toBe(
      new TextDecoder().decode(tinyGpt2['config.json']),
    );
  });

  it("says so when the browser's storage refuses the file, and keeps nothing of it", async () => {
    storage.failPuts = new DOMException('Quota exceeded.', 'QuotaExceededError');
    const error = await hubFailure(load());
    expect(error.code).toBe('integrity');
    expect(error.message).toBe(
      'config.json of gpt2 could not be stored in this browser (Quota exceeded.): free some space for this site and load again',
    );
    expect(storage.caches.get('scratchgpt-hub')?.size).toBe(0);
  });

  it('reports a download cut half-way', async () => {
    hub.faults.cut = { afterBytes: 100_000, times: 1 };
    const error = await hubFailure(load());
    expect(error.code).toBe('network');
    expect(error.message).toMatch(
      /^the download of model\.safetensors from gpt2 stopped at \d+ of 3247224 bytes/,
    );
  });

  it('refuses before the weights when the caller says the config cannot fit', async () => {
    const error = await load({
      beforeWeights: () => {
        throw new Error('too large');
      },
    }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe('too large');
    expect(hub.downloadsOf('model.safetensors')).toEqual([]);
  });

  it('gives up on a Hub that never answers, or stops sending, within the timeout', async () => {
    hub.faults.silent = true;
    const silent = await hubFailure(load({ timeoutMs: 300 }));
    expect(silent.code).toBe('offline');
    expect(silent.message).toBe(
      `${hub.endpoint} did not answer for the model description of gpt2 within 0.3 s: check the network connection, or allow longer with the timeout; gpt2 is not stored in this browser yet: connect once to download it, it then stays here`,
    );
    hub.faults.silent = false;
    hub.faults.stall = { afterBytes: 1000 };
    const stalled = await hubFailure(load({ timeoutMs: 300 }));
    expect(stalled.message).toBe(
      'the download of model.safetensors from gpt2 stopped at 1000 of 3247224 bytes (no answer for 0.3 s): run again to resume it',
    );
  });
});

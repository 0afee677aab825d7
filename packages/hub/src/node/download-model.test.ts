import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bookConfig } from '../model-id.js';
import { hubFailure, temporaryDir, tinyGpt2 } from '../test/fixture.js';
import { type FakeHub, startFakeHub, unreachableEndpoint } from '../testing/fake-hub.js';
import { type DownloadModelOptions, downloadModel } from './download-model.js';
import type { HubSettings } from './settings.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const gitBlobId = (bytes: Uint8Array) =>
  createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
const weights = tinyGpt2['model.safetensors'];
const weightsSha = sha256(weights);

let hub: FakeHub;
let cacheDir: string;
let settings: HubSettings;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: {
      'openai-community/gpt2': { files: tinyGpt2 },
      'scratchgpt/tiny-gpt2': { files: tinyGpt2, refs: { v1: '' } },
      'scratchgpt/private-gpt2': { files: tinyGpt2, token: 'hf_secret' },
      'scratchgpt/config-only': { files: { 'config.json': tinyGpt2['config.json'] } },
      'rasbt/gpt2-from-scratch-pytorch': { files: { 'gpt2-small-124M.safetensors': weights } },
    },
  });
});
afterAll(() => hub.close());

beforeEach(async () => {
  cacheDir = await temporaryDir('cache');
  settings = {
    endpoint: hub.endpoint,
    token: undefined,
    offline: false,
    cacheDir,
    scratchgptCacheDir: await temporaryDir('own'),
    timeoutMs: 10_000,
  };
  hub.requests.length = 0;
  hub.faults.cut = undefined;
  hub.faults.corrupt = false;
});

function download(
  id: string,
  extra: Partial<DownloadModelOptions> & { settings?: Partial<HubSettings> } = {},
) {
  return downloadModel(id, { retryDelayMs: 10, ...extra, settings: { ...settings, ...extra.settings } });
}

const repoFolder = () => join(cacheDir, 'models--openai-community--gpt2');
const leftovers = () =>
  readdirSync(join(repoFolder(), 'blobs')).filter((name) => name.endsWith('.incomplete'));

describe('downloadModel', () => {
  it('fetches gpt2 into the Hugging Face cache layout: blobs named by ETag, snapshot links, refs/main', async () => {
    const progress: number[] = [];
    const model = await download('gpt2', {
      onProgress: ({ file, loaded }) => file === 'model.safetensors' && progress.push(loaded),
    });
    const commit = hub.commitOf('openai-community/gpt2');
    expect(model.commit).toBe(commit);
    expect(model.directory).toBe(join(repoFolder(), 'snapshots', commit));
    expect(model.files).toEqual([
      { path: 'config.json', size: tinyGpt2['config.json'].byteLength, downloaded: true },
      { path: 'model.safetensors', size: weights.byteLength, downloaded: true },
    ]);
    expect(readFileSync(join(repoFolder(), 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readdirSync(join(repoFolder(), 'blobs')).sort()).toEqual(
      [weightsSha, gitBlobId(tinyGpt2['config.json'])].sort(),
    );
    expect(readlinkSync(join(model.directory, 'model.safetensors'))).toBe(`../../blobs/${weightsSha}`);
    expect(readlinkSync(join(model.directory, 'config.json'))).toBe(
      `../../blobs/${gitBlobId(tinyGpt2['config.json'])}`,
    );
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
    expect(progress.at(-1)).toBe(weights.byteLength);
    // The token-free CDN got no Authorization header, and the Hub was asked at the pinned commit.
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === null)).toBe(true);
    expect(hub.downloadsOf('model.safetensors').filter((r) => r.server === 'hub')[0]?.path).toContain(
      `/resolve/${commit}/`,
    );
  });

  it('downloads nothing the second time', async () => {
    await download('gpt2');
    hub.requests.length = 0;
    const again = await download('gpt2');
    expect(again.files.map((file) => file.downloaded)).toEqual([false, false]);
    expect(hub.requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('resumes a download cut half-way with a Range request, within the same call', async () => {
    hub.faults.cut = { afterBytes: 1_000_000, times: 1 };
    const model = await download('gpt2');
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
    const cdn = hub.downloadsOf('model.safetensors').filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => r.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-$/)]);
    const resumedAt = Number(/\d+/.exec(cdn[1]!.range!)![0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(leftovers()).toEqual([]);
  });

  it('keeps what an interrupted run received and resumes from it in the next run', async () => {
    hub.faults.cut = { afterBytes: 1_500_000, times: 1 };
    const error = await hubFailure(download('gpt2', { retries: 0 }));
    expect(error.code).toBe('network');
    expect(error.message).toMatch(
      /the download of model\.safetensors from gpt2 stopped at \d+ of 3247224 bytes.*run again to resume it$/,
    );
    const partial = statSync(join(repoFolder(), 'blobs', `${weightsSha}.incomplete`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(join(repoFolder(), 'blobs', weightsSha))).toBe(false);

    hub.requests.length = 0;
    const model = await download('gpt2', { retries: 0 });
    expect(
      hub
        .downloadsOf('model.safetensors')
        .filter((r) => r.server === 'cdn')
        .map((r) => r.range),
    ).toEqual([`bytes=${partial}-`]);
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
  });

  it('rejects a corrupted download, leaving nothing half-written, and succeeds once the bytes are right', async () => {
    hub.faults.corrupt = true;
    const error = await hubFailure(download('gpt2'));
    expect(error.code).toBe('integrity');
    expect(error.message).toMatch(
      /model\.safetensors from gpt2 does not match the Hub's checksum .* the corrupt copy was deleted, run again$/,
    );
    expect(readdirSync(join(repoFolder(), 'blobs'))).toEqual([gitBlobId(tinyGpt2['config.json'])]);
    const commit = hub.commitOf('openai-community/gpt2');
    expect(existsSync(join(repoFolder(), 'snapshots', commit, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(repoFolder(), 'refs', 'main'))).toBe(false);

    hub.faults.corrupt = false;
    const model = await download('gpt2');
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
  });

  it('says clearly what is missing: repository, file, revision', async () => {
    expect((await hubFailure(download('scratchgpt/nothing-here'))).message).toBe(
      `the Hub at ${hub.endpoint} has no model scratchgpt/nothing-here: check the id`,
    );
    const noWeights = await hubFailure(download('scratchgpt/config-only'));
    expect(noWeights.code).toBe('not-found');
    expect(noWeights.message).toBe(
      'scratchgpt/config-only has no model.safetensors at revision main: it is not a checkpoint scratchgpt can load',
    );
    expect((await hubFailure(download('gpt2@no-such-branch'))).message).toBe(
      "openai-community/gpt2 has no revision 'no-such-branch'",
    );
  });

  it('needs a token for a private model (401), and never sends it to the CDN', async () => {
    const refused = await hubFailure(download('scratchgpt/private-gpt2'));
    expect(refused.code).toBe('unauthorized');
    expect(refused.message).toBe(
      'scratchgpt/private-gpt2 was not found or is private (401): check the id, or set HF_TOKEN to a token that can read it',
    );
    const wrong = await hubFailure(download('scratchgpt/private-gpt2', { settings: { token: 'hf_wrong' } }));
    expect(wrong.message).toBe(
      'the Hub did not accept HF_TOKEN for scratchgpt/private-gpt2 (401): check the token',
    );

    hub.requests.length = 0;
    const model = await download('scratchgpt/private-gpt2', { settings: { token: 'hf_secret' } });
    expect(model.files.every((file) => file.downloaded)).toBe(true);
    expect(
      hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret'),
    ).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === null)).toBe(true);
  });

  it('offline, uses the cache without a request, or says where the files belong', async () => {
    const online = await download('gpt2');
    hub.requests.length = 0;
    const offline = await download('gpt2', { settings: { offline: true } });
    expect(offline).toMatchObject({ source: 'cache', directory: online.directory, commit: online.commit });
    expect(hub.requests).toEqual([]);

    const missing = await hubFailure(download('gpt2-medium', { settings: { offline: true } }));
    expect(missing.code).toBe('offline');
    expect(missing.message).toBe(
      `HF_HUB_OFFLINE is set and gpt2-medium is not in the Hugging Face cache (${join(cacheDir, 'models--openai-community--gpt2-medium')}): ` +
        'fetch it once where the Hub is reachable and copy that folder here, or load a directory holding config.json and model.safetensors',
    );
  });

  it('falls back to the cache when the Hub cannot be reached, and says why when nothing is cached', async () => {
    await download('gpt2');
    const dead = await unreachableEndpoint();
    const notes: string[] = [];
    const model = await download('gpt2', {
      settings: { endpoint: dead },
      onNote: (line) => notes.push(line),
    });
    expect(model.source).toBe('cache');
    expect(notes).toEqual([
      expect.stringMatching(
        new RegExp(
          `^could not reach ${dead} \\(.*ECONNREFUSED.*\\): check the network connection or HF_ENDPOINT; using the cached copy of gpt2$`,
        ),
      ),
    ]);
    const error = await hubFailure(download('gpt2-xl', { settings: { endpoint: dead } }));
    expect(error.code).toBe('network');
    expect(error.message).toMatch(
      new RegExp(
        `^could not reach ${dead} \\(.*ECONNREFUSED.*\\): check the network connection or HF_ENDPOINT$`,
      ),
    );
  });

  it('pins a revision and records the branch it came from', async () => {
    const commit = hub.commitOf('scratchgpt/tiny-gpt2');
    const model = await download(`scratchgpt/tiny-gpt2@${commit}`);
    expect(model.commit).toBe(commit);
    const folder = join(cacheDir, 'models--scratchgpt--tiny-gpt2');
    expect(existsSync(join(folder, 'refs'))).toBe(false);
    await download('scratchgpt/tiny-gpt2@main');
    expect(readFileSync(join(folder, 'refs', 'main'), 'utf8')).toBe(commit);
  });

  it("assembles a checkpoint directory for the book's copies beside the cache", async () => {
    const model = await download('rasbt/gpt2-from-scratch-pytorch');
    const commit = hub.commitOf('rasbt/gpt2-from-scratch-pytorch');
    expect(model.directory).toBe(join(settings.scratchgptCacheDir, 'book', commit, 'gpt2-small'));
    expect(JSON.parse(readFileSync(join(model.directory, 'config.json'), 'utf8'))).toEqual(
      bookConfig('gpt2-small'),
    );
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
    // The Hugging Face cache holds the Hub's file only.
    const snapshot = join(cacheDir, 'models--rasbt--gpt2-from-scratch-pytorch', 'snapshots', commit);
    expect(readdirSync(snapshot)).toEqual(['gpt2-small-124M.safetensors']);
  });

  it('lets the caller refuse a model from its config.json before any weights are fetched', async () => {
    const error = await download('gpt2', {
      beforeWeights: (config) => {
        throw new Error(`too large: ${(config as { n_embd: number }).n_embd}`);
      },
    }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe('too large: 16');
    expect(hub.downloadsOf('model.safetensors')).toEqual([]);
  });

  it("writes a cache Hugging Face's own JavaScript client reads", async () => {
    await download('gpt2');
    const scanned = await scanCacheDir(cacheDir);
    expect(scanned.warnings).toEqual([]);
    const [repo] = scanned.repos;
    expect(repo?.id).toEqual({ name: 'openai-community/gpt2', type: 'model' });
    expect(repo?.revisions.map((revision) => [revision.commitOid, revision.refs])).toEqual([
      [hub.commitOf('openai-community/gpt2'), ['main']],
    ]);
    expect(repo?.size).toBe(weights.byteLength + tinyGpt2['config.json'].byteLength);
  });
});

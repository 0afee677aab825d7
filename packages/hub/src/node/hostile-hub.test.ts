/**
 * A hostile or broken Hub and a tampered cache: names from headers, revisions and links never lead
 * outside the cache, a cached file counts only when its bytes are what its name promises, and a
 * server that goes silent is given up on in time, keeping what it sent for the next attempt.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubFailure, temporaryDir, tinyGpt2 } from '../test/fixture.js';
import { type FakeHub, startFakeHub } from '../testing/fake-hub.js';
import { folderTree } from '../testing/folder-tree.js';
import { type DownloadModelOptions, downloadModel } from './download-model.js';
import { RepoCache } from './repo-cache.js';
import type { HubSettings } from './settings.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const weights = tinyGpt2['model.safetensors'];
const weightsSha = sha256(weights);

let hub: FakeHub;
/** Everything a test may touch: the cache sits three levels down, so `../../../x` stays in here. */
let world: string;
let cacheDir: string;
let settings: HubSettings;

beforeAll(async () => {
  hub = await startFakeHub({ repos: { 'openai-community/gpt2': { files: tinyGpt2 } } });
});
afterAll(() => hub.close());

beforeEach(async () => {
  world = await temporaryDir('world');
  cacheDir = join(world, 'a', 'b', 'cache');
  mkdirSync(cacheDir, { recursive: true });
  settings = {
    endpoint: hub.endpoint,
    token: undefined,
    offline: false,
    cacheDir,
    scratchgptCacheDir: join(world, 'own'),
    timeoutMs: 10_000,
  };
  hub.requests.length = 0;
  for (const fault of Object.keys(hub.faults)) delete hub.faults[fault as keyof typeof hub.faults];
});

function download(
  id: string,
  extra: Partial<DownloadModelOptions> & { settings?: Partial<HubSettings> } = {},
) {
  return downloadModel(id, { retryDelayMs: 10, ...extra, settings: { ...settings, ...extra.settings } });
}

const repoFolder = () => join(cacheDir, 'models--openai-community--gpt2');
const commit = () => hub.commitOf('openai-community/gpt2');
const snapshotWeights = () => join(repoFolder(), 'snapshots', commit(), 'model.safetensors');

/** Runs `attempt` and checks that nothing outside the cache was created, changed or removed. */
async function leavesOutsideAlone<T>(attempt: () => Promise<T>): Promise<T> {
  const outsideTheCache = () => folderTree(world, { skip: cacheDir });
  const before = outsideTheCache();
  const result = await attempt();
  expect(outsideTheCache()).toEqual(before);
  return result;
}

describe('names from the Hub never become paths outside the cache', () => {
  it.each([
    ['an LFS file', { 'x-linked-etag': '"../../../x"' }, 'model.safetensors'],
    ['a small file', { etag: '"../../../x"' }, 'config.json'],
    ['a weak one', { etag: 'W/"/tmp/x"' }, 'config.json'],
  ])('refuses an ETag that is a path (%s)', async (_, headers, path) => {
    hub.faults.hubHeaders = { headers, file: path };
    const error = await leavesOutsideAlone(() => hubFailure(download('gpt2')));
    expect(error.code).toBe('http');
    const etag = Object.values(headers)[0]!.replace(/^W\//, '').replaceAll('"', '');
    expect(error.message).toBe(
      `${hub.endpoint} answered for ${path} of gpt2 with the ETag '${etag}', which is neither a SHA-256 nor a git object id: is HF_ENDPOINT a Hugging Face Hub?`,
    );
  });

  it('refuses an X-Repo-Commit that is a path, creating no snapshot folder', async () => {
    hub.faults.hubHeaders = { headers: { 'x-repo-commit': '../../../y' } };
    const error = await leavesOutsideAlone(() => hubFailure(download('gpt2')));
    expect(error.message).toBe(
      `${hub.endpoint} answered for config.json of gpt2 with '../../../y' as X-Repo-Commit, which is no commit id: is HF_ENDPOINT a Hugging Face Hub?`,
    );
    expect(existsSync(join(repoFolder(), 'snapshots'))).toBe(false);
  });

  it('refuses a revision that climbs out of refs/, online and offline, writing and reading nothing', async () => {
    const planted = join(cacheDir, '..', 'z');
    writeFileSync(planted, `${commit()}\n`);
    await leavesOutsideAlone(async () => {
      expect((await hubFailure(download('gpt2@../../../z'))).code).toBe('invalid-id');
      // Past the id parser too: the cache itself refuses the name.
      const id = { text: 'gpt2@../../../z', repo: 'openai-community/gpt2', revision: '../../../z' };
      const offline = await hubFailure(downloadModel(id, { settings: { ...settings, offline: true } }));
      expect(offline.message).toBe(
        "the revision '../../../z' is not a branch, tag or commit: refusing to use it as a path in the Hugging Face cache",
      );
      const cache = new RepoCache(cacheDir, 'openai-community/gpt2');
      await expect(cache.recordRef('../../../z', commit())).rejects.toThrow('refusing to use it as a path');
    });
    expect(hub.requests).toEqual([]);
  });

  it('writes nothing through a cache folder that is a link to elsewhere', async () => {
    const elsewhere = join(world, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(repoFolder());
    symlinkSync(elsewhere, join(repoFolder(), 'blobs'));
    const error = await leavesOutsideAlone(() => hubFailure(download('gpt2')));
    expect(error.message).toBe(
      `${join(repoFolder(), 'blobs')} is a link or a file where the Hugging Face cache keeps a folder: remove it and run again`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe('the cache is checked before it is trusted', () => {
  it('never follows a snapshot link out of the cache: offline it refuses, online it links the real blob', async () => {
    await download('gpt2');
    const secret = join(world, 'secret');
    writeFileSync(secret, 'not a model');
    rmSync(snapshotWeights());
    symlinkSync(secret, snapshotWeights());

    const offline = await leavesOutsideAlone(() =>
      hubFailure(download('gpt2', { settings: { offline: true } })),
    );
    expect(offline.code).toBe('integrity');
    expect(offline.message).toBe(
      `the cached ${snapshotWeights()} of gpt2 leads outside the cache's blobs/ (to ${secret}): remove it and download gpt2 again where the Hub is reachable`,
    );

    const online = await leavesOutsideAlone(() => download('gpt2'));
    expect(online.files.map((file) => file.downloaded)).toEqual([false, false]);
    expect(sha256(readFileSync(join(online.directory, 'model.safetensors')))).toBe(weightsSha);
    expect(readFileSync(secret, 'utf8')).toBe('not a model');
  });

  it('refuses a truncated blob offline, and downloads it again online', async () => {
    await download('gpt2');
    truncateSync(join(repoFolder(), 'blobs', weightsSha), 1000);

    const offline = await hubFailure(download('gpt2', { settings: { offline: true } }));
    expect(offline.message).toMatch(
      new RegExp(
        `^the cached .*model\\.safetensors of gpt2 has SHA-256 [0-9a-f]{12}…, expected ${weightsSha.slice(0, 12)}…: remove it and download gpt2 again where the Hub is reachable$`,
      ),
    );

    const notes: string[] = [];
    const online = await download('gpt2', { onNote: (line) => notes.push(line) });
    expect(notes).toEqual([
      `the cached model.safetensors of gpt2 has 1000 bytes instead of ${weights.byteLength}: downloading it again`,
    ]);
    expect(online.files.map((file) => file.downloaded)).toEqual([false, true]);
    expect(sha256(readFileSync(join(online.directory, 'model.safetensors')))).toBe(weightsSha);
  });

  it.each([
    ['a link to /dev/zero', (blob: string) => symlinkSync('/dev/zero', blob), 'leads outside the cache'],
    ['a FIFO', (blob: string) => execFileSync('mkfifo', [blob]), 'is not a regular file'],
  ])('refuses a blob that is %s, never reading it', async (_, plant, why) => {
    await download('gpt2');
    const blob = join(repoFolder(), 'blobs', weightsSha);
    rmSync(blob);
    plant(blob);
    const offline = await hubFailure(download('gpt2', { settings: { offline: true } }));
    expect(offline.message).toContain(why);
    const online = await download('gpt2');
    expect(online.files.map((file) => file.downloaded)).toEqual([false, true]);
    expect(lstatSync(blob).isFile()).toBe(true);
  });

  it('checks a small file against its git object id', async () => {
    hub.faults.hubHeaders = { headers: { etag: `"${'0'.repeat(40)}"` } };
    const error = await hubFailure(download('gpt2'));
    expect(error.code).toBe('integrity');
    expect(error.message).toMatch(
      /^config\.json from gpt2 does not match the Hub's checksum \(has git id [0-9a-f]{12}…, expected 000000000000…\): the corrupt copy was deleted, run again$/,
    );
    expect(readdirSync(join(repoFolder(), 'blobs'))).toEqual([]);
  });
});

describe('a silent or stalling Hub is given up on in time', () => {
  it('says so when the Hub never answers, and uses the cached copy if there is one', async () => {
    hub.faults.silent = true;
    const started = Date.now();
    const error = await hubFailure(download('gpt2', { settings: { timeoutMs: 300 } }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.code).toBe('network');
    expect(error.message).toBe(
      `${hub.endpoint} did not answer for config.json of gpt2 within 0.3 s: check the network connection, or allow longer with HF_HUB_DOWNLOAD_TIMEOUT`,
    );

    hub.faults.silent = false;
    await download('gpt2');
    hub.faults.silent = true;
    const notes: string[] = [];
    const model = await download('gpt2', {
      settings: { timeoutMs: 300 },
      onNote: (line) => notes.push(line),
    });
    expect(model.source).toBe('cache');
    expect(notes).toEqual([expect.stringMatching(/within 0\.3 s.*; using the cached copy of gpt2$/)]);
  });

  it('gives up on a body that stops mid-way, keeps what came, and resumes from it', async () => {
    hub.faults.stall = { afterBytes: 100_000 };
    const error = await hubFailure(download('gpt2', { retries: 0, settings: { timeoutMs: 300 } }));
    expect(error.message).toBe(
      `the download of model.safetensors from gpt2 stopped at 100000 of ${weights.byteLength} bytes (no answer for 0.3 s): run again to resume it`,
    );
    expect(statSync(join(repoFolder(), 'blobs', `${weightsSha}.incomplete`)).size).toBe(100_000);

    hub.faults.stall = undefined;
    hub.requests.length = 0;
    const model = await download('gpt2');
    const cdn = hub.downloadsOf('model.safetensors').filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => r.range)).toEqual(['bytes=100000-']);
    expect(sha256(readFileSync(join(model.directory, 'model.safetensors')))).toBe(weightsSha);
  });

  it('caps the retries however many are asked for', async () => {
    hub.faults.cut = { afterBytes: 10, times: 100 };
    const error = await hubFailure(download('gpt2', { retries: 1_000, retryDelayMs: 1 }));
    expect(error.code).toBe('network');
    expect(hub.downloadsOf('model.safetensors').filter((r) => r.server === 'cdn')).toHaveLength(11);
  });

  it('refuses a config.json of megabytes before fetching it', async () => {
    hub.faults.hubHeaders = { headers: { 'content-length': String(200 << 20) }, file: 'config.json' };
    const error = await hubFailure(download('gpt2'));
    expect(error.message).toBe(
      `config.json of gpt2 is ${200 << 20} bytes, more than the 1048576 a model's config may have: it is not a checkpoint scratchgpt can load`,
    );
    expect(hub.downloadsOf('config.json')).toEqual([]);
  });

  it('says what is wrong with a HEAD reply that gives no size', async () => {
    hub.faults.hubHeaders = { headers: { 'content-length': null, 'x-linked-size': null } };
    const error = await hubFailure(download('gpt2'));
    expect(error.message).toBe(
      `${hub.endpoint} answered for config.json of gpt2 with no size (neither Content-Length nor X-Linked-Size): is HF_ENDPOINT a Hugging Face Hub?`,
    );
  });
});

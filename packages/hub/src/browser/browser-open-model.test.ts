/**
 * Qwen3, Llama and Gemma 3 repositories in a browser: the files the config calls for (config.json
 * first, the side files present, one weights file or an index and its shards), with progress, kept in
 * Cache Storage, refused from config.json before anything else is fetched when the caller says so, and
 * an index naming a path refused before it is asked for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubFailure } from '../test/fixture.js';
import { MemoryCacheStorage } from '../test/memory-cache-storage.js';
import { type FakeHub, startFakeHub } from '../testing/fake-hub.js';
import { type BrowserModelOptions, fetchModelInBrowser } from './browser-model.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => bytes(JSON.stringify(value));
const qwen3Config = json({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'] });
const shardA = 'model-00001-of-00002.safetensors';
const shardB = 'model-00002-of-00002.safetensors';
const index = (weightMap: Record<string, string>) => json({ metadata: {}, weight_map: weightMap });

const sharded: Record<string, Uint8Array> = {
  'config.json': qwen3Config,
  'tokenizer.json': json({ model: {} }),
  'tokenizer_config.json': json({ eos_token: '<|im_end|>' }),
  'model.safetensors.index.json': index({ a: shardA, b: shardB, c: shardA }),
  [shardA]: new Uint8Array(300_000).fill(1),
  [shardB]: bytes('second shard'),
  'README.md': bytes('not needed'),
};

let hub: FakeHub;
let storage: MemoryCacheStorage;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: {
      'acme/sharded-qwen3': { files: sharded },
      'acme/single-gemma3': {
        files: {
          'config.json': json({ model_type: 'gemma3_text' }),
          'generation_config.json': json({ eos_token_id: [1, 106] }),
          'model.safetensors': bytes('weights'),
        },
      },
      'acme/escaping-index': {
        files: {
          'config.json': qwen3Config,
          'model.safetensors.index.json': index({ a: '../../outside.safetensors' }),
        },
      },
      'acme/huge-config': { files: { 'config.json': new Uint8Array((1 << 20) + 1) } },
    },
  });
});
afterAll(() => hub.close());
beforeEach(() => {
  storage = new MemoryCacheStorage();
  hub.requests.length = 0;
});

const load = (id: string, options: BrowserModelOptions = {}) =>
  fetchModelInBrowser(id, { endpoint: hub.endpoint, caches: storage.asCacheStorage(), ...options });

/** Byte equality without a deep comparison of every element. */
const same = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;

const asked = () => hub.requests.map((request) => `${request.method} ${request.path}`);

describe('fetchModelInBrowser for Qwen3, Llama and Gemma 3 repositories', () => {
  it('fetches the config, the side files present, the index and each shard once, with progress', async () => {
    const progress: string[] = [];
    const first = await load('acme/sharded-qwen3', {
      onProgress: ({ file, loaded, total }) => loaded === total && progress.push(file),
    });
    const paths = [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors.index.json',
      shardA,
      shardB,
    ];
    expect([...first.files.keys()]).toEqual(paths);
    expect(progress).toEqual(paths);
    for (const path of paths) expect(same(first.files.get(path), sharded[path]), path).toBe(true);
    expect(first.weights).toBeUndefined();
    expect(first.config).toEqual({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'] });
    const total = paths.reduce((sum, path) => sum + sharded[path]!.byteLength, 0);
    expect(first.downloadedBytes).toBe(total);
    expect(hub.downloadsOf('README.md')).toEqual([]);
    expect(hub.downloadsOf('generation_config.json')).toEqual([]);

    // A second load asks for the revision's description alone: every file comes from Cache Storage.
    hub.requests.length = 0;
    const second = await load('acme/sharded-qwen3');
    expect(asked()).toEqual(['GET /api/models/acme/sharded-qwen3/revision/main']);
    expect(second).toMatchObject({ source: 'hub', downloadedBytes: 0 });
    expect([...second.files.keys()]).toEqual(paths);
    expect(same(second.files.get(shardA), sharded[shardA])).toBe(true);

    // And offline, from Cache Storage alone.
    const offline = await load('acme/sharded-qwen3', {
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    expect(offline.source).toBe('cache');
    expect([...offline.files.keys()]).toEqual(paths);
  });

  it('takes model.safetensors when there is no index, and the generation config when there is one', async () => {
    const model = await load('acme/single-gemma3');
    expect([...model.files.keys()]).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
    expect(model.weights).toEqual(bytes('weights'));
  });

  it('refuses from config.json alone, fetching nothing after it, when the caller says it cannot fit', async () => {
    const error = await load('acme/sharded-qwen3', {
      beforeWeights: () => {
        throw new Error('too large for this backend');
      },
    }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe('too large for this backend');
    const fetched = hub.requests.filter((request) => request.path.includes('/resolve/'));
    expect(fetched.map((request) => request.path)).toEqual([
      `/acme/sharded-qwen3/resolve/${hub.commitOf('acme/sharded-qwen3')}/config.json`,
    ]);
    expect(storage.caches.get('scratchgpt-hub')?.size).toBe(1);
  });

  it('refuses an index whose shard name is a path, before asking for it', async () => {
    const error = await hubFailure(load('acme/escaping-index'));
    expect(error.message).toBe(
      'model.safetensors.index.json of acme/escaping-index names the shard "../../outside.safetensors": a shard must be a plain file name beside the index',
    );
    expect(asked().some((request) => request.includes('outside'))).toBe(false);
  });

  it('refuses a config.json too large to be one by the size the Hub announces, without downloading it', async () => {
    const error = await hubFailure(load('acme/huge-config'));
    expect(error.code).toBe('integrity');
    expect(error.message).toBe(
      `config.json of acme/huge-config is ${(1 << 20) + 1} bytes, more than the ${1 << 20} a model's config may have: it is not a checkpoint scratchgpt can load`,
    );
    expect(hub.downloadsOf('config.json')).toEqual([]);
  });
});

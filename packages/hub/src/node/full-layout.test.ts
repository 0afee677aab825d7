import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDir } from '../test/fixture.js';
import { type FakeHub, startFakeHub, unreachableEndpoint } from '../testing/fake-hub.js';
import { downloadModel } from './download-model.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => bytes(JSON.stringify(value));
const qwen3Config = json({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'] });
const shardA = 'model-00001-of-00002.safetensors';
const shardB = 'model-00002-of-00002.safetensors';
const index = (weightMap: Record<string, string>) => json({ metadata: {}, weight_map: weightMap });

let hub: FakeHub;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: {
      'acme/sharded-qwen3': {
        files: {
          'config.json': qwen3Config,
          'tokenizer.json': json({ model: {} }),
          'tokenizer_config.json': json({}),
          'model.safetensors.index.json': index({ a: shardA, b: shardB, c: shardA }),
          [shardA]: bytes('first shard'),
          [shardB]: bytes('second shard'),
          'README.md': bytes('not needed'),
        },
      },
      'acme/single-qwen3': {
        files: { 'config.json': qwen3Config, 'model.safetensors': bytes('weights') },
      },
      'acme/escaping-index': {
        files: {
          'config.json': qwen3Config,
          'model.safetensors.index.json': index({ a: '../../../outside.safetensors' }),
        },
      },
    },
  });
});
afterAll(() => hub.close());

async function download(id: string, offline = false, cacheDir?: string, endpoint?: string) {
  const dir = cacheDir ?? (await temporaryDir('cache'));
  const settings = {
    endpoint: endpoint ?? hub.endpoint,
    token: undefined,
    offline,
    cacheDir: dir,
    scratchgptCacheDir: await temporaryDir('own'),
    timeoutMs: 10_000,
  };
  return { model: await downloadModel(id, { retryDelayMs: 10, settings }), cacheDir: dir };
}

describe('downloadModel for Qwen3, Llama and Gemma 3 repositories', () => {
  it('fetches the config, the side files present, the index and each shard once, and nothing else', async () => {
    const { model, cacheDir } = await download('acme/sharded-qwen3');
    expect(model.files.map((file) => file.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors.index.json',
      shardA,
      shardB,
    ]);
    expect(readFileSync(join(model.directory, shardB), 'utf8')).toBe('second shard');
    // Offline, the same files come from the cache.
    const again = await download('acme/sharded-qwen3', true, cacheDir);
    expect(again.model.source).toBe('cache');
    expect(again.model.files.map((file) => file.path)).toEqual(model.files.map((file) => file.path));
    // And when the Hub cannot be reached.
    const unreachable = await download('acme/sharded-qwen3', false, cacheDir, await unreachableEndpoint());
    expect(unreachable.model.source).toBe('cache');
    expect(unreachable.model.files).toHaveLength(6);
  });

  it('falls back to model.safetensors when the repository has no index', async () => {
    const { model } = await download('acme/single-qwen3');
    expect(model.files.map((file) => file.path)).toEqual(['config.json', 'model.safetensors']);
  });

  it('refuses an index whose shard name leaves the snapshot, before asking for it', async () => {
    const requestsBefore = hub.requests.length;
    await expect(download('acme/escaping-index')).rejects.toThrow(
      'model.safetensors.index.json of acme/escaping-index names the shard "../../../outside.safetensors": a shard must be a plain file name beside the index',
    );
    const asked = hub.requests.slice(requestsBefore).map((request) => request.path);
    expect(asked.some((path) => path.includes('outside'))).toBe(false);
  });
});

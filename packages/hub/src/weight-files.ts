/**
 * Which files a checkpoint needs beyond its config.json, read from that config: one list for Node (the
 * Hugging Face cache) and browsers (Cache Storage). GPT-2 checkpoints are config.json +
 * model.safetensors. Qwen3, Llama and Gemma 3 repositories come in Hugging Face's full layout:
 * tokenizer and generation files beside the weights, and large models split into shards listed in
 * model.safetensors.index.json, whose names are checked before any is asked for.
 */
import { HubError } from './errors.js';
import { CONFIG_FILE, WEIGHTS_FILE } from './model-id.js';

/** `model_type` values whose repositories use the full layout. */
export const FULL_LAYOUT_MODEL_TYPES: readonly string[] = ['qwen3', 'llama', 'gemma3_text'];
export const INDEX_FILE = 'model.safetensors.index.json';
/** Fetched when the repository has them: a tokenizer and generation defaults for the model. */
export const SIDE_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'] as const;

/** A model's config.json is kilobytes; one of megabytes is no config, and is not read whole. */
export const MAX_CONFIG_BYTES = 1 << 20;
/** An index lists a few hundred shards at most; megabytes of one is not an index. */
export const MAX_INDEX_BYTES = 16 * 2 ** 20;
const PLAIN_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Where a download keeps the files it obtains: `obtain` puts `path` of the repository there (a file in
 * the cache, bytes in memory) and returns it, or undefined when it is `optional` and the repository (or
 * the cache, offline) has no such file; `text` reads an obtained file (bounded by
 * {@link refuseOversized} first).
 */
export interface FileSource<F> {
  obtain(path: string, optional: boolean): Promise<F | undefined>;
  text(file: F, path: string): Promise<string>;
}

export function usesFullLayout(config: unknown): boolean {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  return typeof modelType === 'string' && FULL_LAYOUT_MODEL_TYPES.includes(modelType);
}

/**
 * Obtains the weights (and, for the full layout, the side files) the config calls for; `id` names the
 * model in messages.
 */
export async function obtainWeightFiles<F>(
  config: unknown,
  source: FileSource<F>,
  id: string,
): Promise<void> {
  if (!usesFullLayout(config)) {
    await source.obtain(WEIGHTS_FILE, false);
    return;
  }
  for (const side of SIDE_FILES) await source.obtain(side, true);
  const index = await source.obtain(INDEX_FILE, true);
  if (index === undefined) {
    await source.obtain(WEIGHTS_FILE, false);
    return;
  }
  const shards = shardsOf(await source.text(index, INDEX_FILE), id);
  for (const shard of shards) await source.obtain(shard, false);
}

/** The small JSON files whose size is bounded before they are downloaded or read. */
const SIZE_LIMITS: ReadonlyMap<string, { bytes: number; what: string }> = new Map([
  [CONFIG_FILE, { bytes: MAX_CONFIG_BYTES, what: "a model's config" }],
  [INDEX_FILE, { bytes: MAX_INDEX_BYTES, what: 'an index' }],
]);

/**
 * Refuses a config.json or index larger than either can be, by the size the Hub announced or the
 * cache holds (`id`: the model id, for the message).
 */
export function refuseOversized(path: string, size: number, id: string): void {
  const limit = SIZE_LIMITS.get(path);
  if (limit === undefined || size <= limit.bytes) return;
  throw new HubError(
    'integrity',
    `${path} of ${id} is ${size} bytes, more than the ${limit.bytes} ${limit.what} may have: it is not a checkpoint scratchgpt can load`,
  );
}

/** The shard files an index names, each once, each a plain file name beside it. */
export function shardsOf(indexText: string, id: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(indexText) as { weight_map?: unknown })?.weight_map;
  } catch (error) {
    throw new HubError('integrity', `${INDEX_FILE} of ${id} is not valid JSON (${(error as Error).message})`);
  }
  if (weightMap == null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new HubError('integrity', `${INDEX_FILE} of ${id} has no "weight_map" object`);
  }
  const shards = new Set<string>();
  for (const shard of Object.values(weightMap)) {
    if (typeof shard !== 'string' || !PLAIN_FILE_NAME.test(shard) || shard.includes('..')) {
      throw new HubError(
        'integrity',
        `${INDEX_FILE} of ${id} names the shard ${JSON.stringify(shard)}: a shard must be a plain file name beside the index`,
      );
    }
    shards.add(shard);
  }
  return [...shards];
}

/**
 * Which files a checkpoint needs beyond its config.json, read from that config. GPT-2 checkpoints are
 * config.json + model.safetensors. Qwen3, Llama and Gemma 3 repositories come in Hugging Face's full
 * layout: tokenizer and generation files beside the weights, and large models split into shards listed
 * in model.safetensors.index.json, whose names are checked before any is asked for.
 */
import { readFile, stat } from 'node:fs/promises';
import { HubError } from '../errors.js';
import { WEIGHTS_FILE } from '../model-id.js';

/** `model_type` values whose repositories use the full layout. */
export const FULL_LAYOUT_MODEL_TYPES: readonly string[] = ['qwen3', 'llama', 'gemma3_text'];
export const INDEX_FILE = 'model.safetensors.index.json';
/** Fetched when the repository has them: a tokenizer and generation defaults for the model. */
export const SIDE_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'] as const;

/** An index lists a few hundred shards at most; megabytes of one is not an index. */
const MAX_INDEX_BYTES = 16 * 2 ** 20;
const PLAIN_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Puts `path` of the repository on disk and returns where, or undefined when it is `optional` and the
 * repository (or the cache, offline) has no such file.
 */
export type ObtainFile = (path: string, optional: boolean) => Promise<string | undefined>;

export function usesFullLayout(config: unknown): boolean {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  return typeof modelType === 'string' && FULL_LAYOUT_MODEL_TYPES.includes(modelType);
}

/** Obtains the weights (and, for the full layout, the side files) the config calls for. */
export async function obtainWeightFiles(config: unknown, obtain: ObtainFile, repo: string): Promise<void> {
  if (!usesFullLayout(config)) {
    await obtain(WEIGHTS_FILE, false);
    return;
  }
  for (const side of SIDE_FILES) await obtain(side, true);
  const index = await obtain(INDEX_FILE, true);
  if (index === undefined) {
    await obtain(WEIGHTS_FILE, false);
    return;
  }
  for (const shard of await shardsOf(index, repo)) await obtain(shard, false);
}

/** The shard files an index names, each once, each a plain file name beside it. */
export async function shardsOf(indexPath: string, repo: string): Promise<string[]> {
  const size = (await stat(indexPath)).size;
  if (size > MAX_INDEX_BYTES) {
    throw new HubError(
      'integrity',
      `${INDEX_FILE} of ${repo} is ${size} bytes, more than the ${MAX_INDEX_BYTES} an index may have`,
    );
  }
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: unknown })?.weight_map;
  } catch (error) {
    throw new HubError(
      'integrity',
      `${INDEX_FILE} of ${repo} is not valid JSON (${(error as Error).message})`,
    );
  }
  if (weightMap == null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new HubError('integrity', `${INDEX_FILE} of ${repo} has no "weight_map" object`);
  }
  const shards = new Set<string>();
  for (const shard of Object.values(weightMap)) {
    if (typeof shard !== 'string' || !PLAIN_FILE_NAME.test(shard) || shard.includes('..')) {
      throw new HubError(
        'integrity',
        `${INDEX_FILE} of ${repo} names the shard ${JSON.stringify(shard)}: a shard must be a plain file name beside the index`,
      );
    }
    shards.add(shard);
  }
  return [...shards];
}

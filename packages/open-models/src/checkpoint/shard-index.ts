/**
 * `model.safetensors.index.json`: which shard holds each weight. The shard names come from a
 * downloaded file, so each must be a plain file name beside the index, never a path out of it.
 */
export const INDEX_FILE = 'model.safetensors.index.json';

/** Shard names as the Hub writes them (model-00001-of-00002.safetensors): no separators, no `..`. */
const PLAIN_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface ShardIndex {
  /** Each shard once, in first-mention order. */
  shards: string[];
  /** Weight name → the shard that holds it. */
  weightMap: Map<string, string>;
}

export function parseShardIndex(json: unknown): ShardIndex {
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap == null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new RangeError(`${INDEX_FILE}: "weight_map" must be an object of weight name → shard file`);
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !PLAIN_FILE_NAME.test(shard) || shard.includes('..')) {
      throw new RangeError(
        `${INDEX_FILE}: weight_map["${name}"] is ${JSON.stringify(shard)}; a shard must be a plain file name in the checkpoint's directory (no paths, no "..")`,
      );
    }
    map.set(name, shard);
  }
  if (map.size === 0) throw new RangeError(`${INDEX_FILE}: "weight_map" names no weights`);
  return { shards: [...new Set(map.values())], weightMap: map };
}

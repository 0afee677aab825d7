import { tf } from '@scratchgpt/tensor';

export interface LayerKVCacheOptions {
  /**
   * Attention that sees only the last `window` positions (a sliding-window layer): the cache then drops
   * what no later query can see, so it stays bounded however long the sequence grows.
   */
  window?: number;
}

/** Keys and values appended, for attention over positions `start`..`start + T_keys − 1`. */
export interface CachedKeysValues {
  keys: tf.Tensor;
  values: tf.Tensor;
  /** The position of the first key (0 unless a window has dropped earlier ones). */
  start: number;
}

/**
 * The keys and values one attention layer has computed for earlier tokens, so generating a token costs
 * one row of attention instead of re-running the whole prompt. Tensors are (B, heads, T, headDim).
 *
 * With a window the cache holds only the window − 1 latest positions, all that a later query sees
 * besides itself: a sliding-window layer's share of memory stays bounded however long the sequence.
 */
export class LayerKVCache {
  readonly window: number | undefined;
  #keys: tf.Tensor | undefined;
  #values: tf.Tensor | undefined;
  #seen = 0;

  constructor(options: LayerKVCacheOptions = {}) {
    const { window } = options;
    if (window !== undefined && (!Number.isInteger(window) || window < 1)) {
      throw new RangeError(`A KV cache window must be a positive integer, got ${window}`);
    }
    this.window = window;
  }

  /** Tokens seen: the position the next appended token takes. */
  get length(): number {
    return this.#seen;
  }

  /** Positions whose keys and values are held: `length`, or at most window − 1 with a window. */
  get heldLength(): number {
    return (this.#keys?.shape[2] as number | undefined) ?? 0;
  }

  /**
   * Appends new keys and values and returns the held ones followed by them, as new tensors the caller
   * disposes (attention layers call this inside tf.tidy).
   */
  append(keys: tf.Tensor, values: tf.Tensor): CachedKeysValues {
    const start = this.#seen - this.heldLength;
    const allKeys = this.#keys == null ? tf.clone(keys) : tf.concat([this.#keys, keys], 2);
    const allValues = this.#values == null ? tf.clone(values) : tf.concat([this.#values, values], 2);
    this.reset();
    this.#seen = start + (allKeys.shape[2] as number);
    this.#keys = this.#hold(allKeys);
    this.#values = this.#hold(allValues);
    return { keys: allKeys, values: allValues, start };
  }

  reset(): void {
    this.#keys?.dispose();
    this.#values?.dispose();
    this.#keys = undefined;
    this.#values = undefined;
    this.#seen = 0;
  }

  /** What to keep of all the positions so far: a handle on them, or the window − 1 latest as a copy. */
  #hold(all: tf.Tensor): tf.Tensor | undefined {
    const count = all.shape[2] as number;
    const keep = this.window === undefined ? count : Math.min(count, this.window - 1);
    if (keep === 0) return undefined;
    return tf.keep(
      keep === count ? tf.clone(all) : tf.slice(all, [0, 0, count - keep, 0], [-1, -1, keep, -1]),
    );
  }
}

export interface KVCacheOptions {
  /** One entry a layer: its attention window, or undefined for a layer that sees every position. */
  windows?: ReadonlyArray<number | undefined>;
}

/** One {@link LayerKVCache} per transformer block. */
export class KVCache {
  readonly layers: LayerKVCache[];

  constructor(numLayers: number, options: KVCacheOptions = {}) {
    const { windows } = options;
    if (windows !== undefined && windows.length !== numLayers) {
      throw new RangeError(
        `A KV cache of ${numLayers} layers needs ${numLayers} windows, got ${windows.length}`,
      );
    }
    this.layers = Array.from({ length: numLayers }, (_, i) => {
      const window = windows?.[i];
      return new LayerKVCache(window === undefined ? {} : { window });
    });
  }

  layer(index: number): LayerKVCache {
    const layer = this.layers[index];
    if (layer == null) throw new RangeError(`KV cache has ${this.layers.length} layers, not ${index + 1}`);
    return layer;
  }

  /** Tokens seen (the same in every layer). */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  reset(): void {
    for (const layer of this.layers) layer.reset();
  }

  dispose(): void {
    this.reset();
  }
}

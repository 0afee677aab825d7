import { tf } from '@scratchgpt/tensor';

/**
 * The keys and values one attention layer has computed for earlier tokens, so generating a token costs
 * one row of attention instead of re-running the whole prompt. Tensors are (B, heads, T, headDim).
 */
export class LayerKVCache {
  #keys: tf.Tensor | undefined;
  #values: tf.Tensor | undefined;

  /** Tokens cached. */
  get length(): number {
    return (this.#keys?.shape[2] as number | undefined) ?? 0;
  }

  /** Appends new keys and values and returns all of them (the cache keeps them alive). */
  append(keys: tf.Tensor, values: tf.Tensor): { keys: tf.Tensor; values: tf.Tensor } {
    const previousKeys = this.#keys;
    const previousValues = this.#values;
    this.#keys = tf.keep(previousKeys == null ? tf.clone(keys) : tf.concat([previousKeys, keys], 2));
    this.#values = tf.keep(
      previousValues == null ? tf.clone(values) : tf.concat([previousValues, values], 2),
    );
    previousKeys?.dispose();
    previousValues?.dispose();
    return { keys: this.#keys, values: this.#values };
  }

  reset(): void {
    this.#keys?.dispose();
    this.#values?.dispose();
    this.#keys = undefined;
    this.#values = undefined;
  }
}

/** One {@link LayerKVCache} per transformer block. */
export class KVCache {
  readonly layers: LayerKVCache[];

  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => new LayerKVCache());
  }

  layer(index: number): LayerKVCache {
    const layer = this.layers[index];
    if (layer == null) throw new RangeError(`KV cache has ${this.layers.length} layers, not ${index + 1}`);
    return layer;
  }

  /** Tokens cached (the same in every layer). */
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

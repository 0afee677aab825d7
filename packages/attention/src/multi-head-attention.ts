import {
  causalAttention,
  Dropout,
  fusedAttentionAvailable,
  Linear,
  Module,
  reshapeView,
  tf,
} from '@scratchgpt/tensor';
import type { CausalAttentionOptions } from './causal-attention.js';
import type { LayerKVCache } from './kv-cache.js';
import { CausalMask } from './mask.js';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';

/** Anything that rotates queries and keys by position, such as `RotaryEmbedding` from embeddings. */
export interface PositionRotation {
  rotate(x: tf.Tensor, offset: number): tf.Tensor;
}

/** `CausalAttention`'s options, with dOut the total output size, split evenly across the heads. */
export interface MultiHeadAttentionOptions extends CausalAttentionOptions {
  numHeads: number;
  /** Rotary position embedding applied to queries and keys (off in the book's GPT). */
  rotary?: PositionRotation;
}

export interface AttentionCallOptions {
  /** Keys and values of earlier tokens; the new ones are appended. */
  cache?: LayerKVCache;
}

/**
 * Multi-head causal attention with the heads split from one projection each for queries, keys and
 * values, then recombined by `out_proj`: the attention of the book's GPT. (B, T, dIn) → (B, T, dOut).
 */
export class MultiHeadAttention extends Module {
  readonly dOut: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly wQuery: Linear;
  readonly wKey: Linear;
  readonly wValue: Linear;
  readonly outProj: Linear;
  readonly dropout: Dropout;
  readonly #rotary: PositionRotation | undefined;
  readonly #mask: CausalMask;

  constructor(options: MultiHeadAttentionOptions) {
    super();
    const { dIn, dOut, numHeads } = options;
    if (dOut % numHeads !== 0) {
      throw new RangeError(`dOut (${dOut}) must be divisible by numHeads (${numHeads})`);
    }
    this.dOut = dOut;
    this.numHeads = numHeads;
    this.headDim = dOut / numHeads;
    const generator = options.generator ? { generator: options.generator } : {};
    const qkv = { bias: options.qkvBias ?? false, ...generator };
    this.wQuery = this.registerModule('W_query', new Linear(dIn, dOut, qkv));
    this.wKey = this.registerModule('W_key', new Linear(dIn, dOut, qkv));
    this.wValue = this.registerModule('W_value', new Linear(dIn, dOut, qkv));
    this.outProj = this.registerModule('out_proj', new Linear(dOut, dOut, generator));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout, generator));
    this.#rotary = options.rotary;
    this.#mask = new CausalMask(options.contextLength);
  }

  /** (B, T, dOut) → (B, heads, T, headDim) */
  private splitHeads(x: tf.Tensor): tf.Tensor {
    const [batch, tokens] = x.shape as [number, number, number];
    return tf.transpose(reshapeView(x, [batch, tokens, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** weights: (B, heads, T, T_keys) */
  forwardWithWeights(x: tf.Tensor, options: AttentionCallOptions = {}): AttentionResult {
    return tf.tidy(() =>
      this.#attend(x, options.cache, (queries, keys, values) => this.#weightedCore(queries, keys, values)),
    );
  }

  forward(x: tf.Tensor, options: AttentionCallOptions = {}): tf.Tensor {
    // Where the backend fuses attention, the context is computed without the (T × T) weights; the fused
    // kernel is causal from position 0, so cached tokens take the path with weights.
    const fused = options.cache == null && fusedAttentionAvailable();
    return tf.tidy(() => {
      if (!fused) return this.forwardWithWeights(x, options).context;
      return this.#attend(x, undefined, (queries, keys, values) => ({
        context: this.#fusedCore(queries, keys, values),
      })).context;
    });
  }

  /**
   * The one path of both forwards: project, split the heads, rotate, append to the cache, attend with
   * `core`, merge the heads and project out. `core` gets queries (B, H, T, hd) and keys and values
   * (B, H, T_keys, hd), and returns the context (B, H, T, hd) with whatever else it computes.
   */
  #attend<R extends { context: tf.Tensor }>(
    x: tf.Tensor,
    cache: LayerKVCache | undefined,
    core: (queries: tf.Tensor, keys: tf.Tensor, values: tf.Tensor) => R,
  ): R {
    const [batch, tokens] = x.shape as [number, number, number];
    if (cache?.window !== undefined) {
      throw new RangeError(
        'MultiHeadAttention attends to every earlier token: give it a KV cache without a window',
      );
    }
    const offset = cache?.length ?? 0;
    let queries = this.splitHeads(this.wQuery.forward(x)); // (B, H, T, hd)
    let keys = this.splitHeads(this.wKey.forward(x));
    let values = this.splitHeads(this.wValue.forward(x));
    if (this.#rotary != null) {
      queries = this.#rotary.rotate(queries, offset);
      keys = this.#rotary.rotate(keys, offset);
    }
    if (cache != null) ({ keys, values } = cache.append(keys, values)); // (B, H, offset+T, hd)
    const result = core(queries, keys, values);
    const merged = reshapeView(tf.transpose(result.context, [0, 2, 1, 3]), [batch, tokens, this.dOut]); // (B, T, dOut)
    return { ...result, context: this.outProj.forward(merged) };
  }

  /** softmax(q kᵀ / √hd + mask) v with the weights: queries are the last T of the T_keys positions. */
  #weightedCore(queries: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): AttentionResult {
    const tokens = queries.shape[2] as number;
    const offset = (keys.shape[2] as number) - tokens;
    return scaledDotProductAttention(queries, keys, values, {
      mask: this.#mask.rows(tokens, offset),
      dropout: this.dropout,
    });
  }

  /** The same context through `causalAttention`, without the (T × T) weights (no cache). */
  #fusedCore(queries: tf.Tensor, keys: tf.Tensor, values: tf.Tensor): tf.Tensor {
    const [batch, heads, tokens] = queries.shape as [number, number, number, number];
    const dropoutMask = this.dropout.sampleMask([batch, heads, tokens, tokens]);
    return causalAttention(queries, keys, values, {
      scale: 1 / Math.sqrt(this.headDim),
      ...(dropoutMask ? { dropoutMask } : {}),
    });
  }

  override dispose(): void {
    this.#mask.dispose();
    super.dispose();
  }
}

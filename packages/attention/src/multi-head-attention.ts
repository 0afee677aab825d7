import {
  causalAttention,
  Dropout,
  fusedAttentionAvailable,
  type Generator,
  Linear,
  Module,
  tf,
} from '@scratchgpt/tensor';
import type { LayerKVCache } from './kv-cache.js';
import { CausalMask } from './mask.js';
import { type AttentionResult, scaledDotProductAttention } from './scaled-dot-product.js';

/** Anything that rotates queries and keys by position, such as `RotaryEmbedding` from embeddings. */
export interface PositionRotation {
  rotate(x: tf.Tensor, offset: number): tf.Tensor;
}

export interface MultiHeadAttentionOptions {
  dIn: number;
  /** Total output size, split evenly across the heads. */
  dOut: number;
  contextLength: number;
  dropout: number;
  numHeads: number;
  qkvBias?: boolean;
  /** Rotary position embedding applied to queries and keys (off in the book's GPT). */
  rotary?: PositionRotation;
  generator?: Generator;
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
    return tf.transpose(tf.reshape(x, [batch, tokens, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** weights: (B, heads, T, T_keys) */
  forwardWithWeights(x: tf.Tensor, options: AttentionCallOptions = {}): AttentionResult {
    return tf.tidy(() => {
      const [batch, tokens] = x.shape as [number, number, number];
      const offset = options.cache?.length ?? 0;
      let queries = this.splitHeads(this.wQuery.forward(x)); // (B, H, T, hd)
      let keys = this.splitHeads(this.wKey.forward(x));
      let values = this.splitHeads(this.wValue.forward(x));
      if (this.#rotary != null) {
        queries = this.#rotary.rotate(queries, offset);
        keys = this.#rotary.rotate(keys, offset);
      }
      if (options.cache != null) ({ keys, values } = options.cache.append(keys, values)); // (B, H, offset+T, hd)
      const { context, weights } = scaledDotProductAttention(queries, keys, values, {
        mask: this.#mask.rows(tokens, offset),
        dropout: this.dropout,
      }); // context (B, H, T, hd)
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, tokens, this.dOut]); // (B, T, dOut)
      return { context: this.outProj.forward(merged), weights };
    });
  }

  forward(x: tf.Tensor, options: AttentionCallOptions = {}): tf.Tensor {
    // Where the backend fuses attention, the context is computed without the (T × T) weights.
    if (options.cache == null && fusedAttentionAvailable()) {
      return tf.tidy(() => this.fusedContext(x));
    }
    return tf.tidy(() => this.forwardWithWeights(x, options).context);
  }

  /** The same context as `forwardWithWeights`, through `causalAttention`. */
  private fusedContext(x: tf.Tensor): tf.Tensor {
    const [batch, tokens] = x.shape as [number, number, number];
    let queries = this.splitHeads(this.wQuery.forward(x)); // (B, H, T, hd)
    let keys = this.splitHeads(this.wKey.forward(x));
    const values = this.splitHeads(this.wValue.forward(x));
    if (this.#rotary != null) {
      queries = this.#rotary.rotate(queries, 0);
      keys = this.#rotary.rotate(keys, 0);
    }
    const dropoutMask = this.dropout.sampleMask([batch, this.numHeads, tokens, tokens]);
    const context = causalAttention(queries, keys, values, {
      scale: 1 / Math.sqrt(this.headDim),
      ...(dropoutMask ? { dropoutMask } : {}),
    }); // (B, H, T, hd)
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, tokens, this.dOut]); // (B, T, dOut)
    return this.outProj.forward(merged);
  }

  override dispose(): void {
    this.#mask.dispose();
    super.dispose();
  }
}

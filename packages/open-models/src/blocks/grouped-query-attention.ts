import type { LayerKVCache, PositionRotation } from '@scratchgpt/attention';
import {
  addBroadcast,
  causalAttention,
  fusedAttentionAvailable,
  type Generator,
  Linear,
  Module,
  matMul,
  reshapeView,
  tf,
} from '@scratchgpt/tensor';
import { attentionMask } from './attention-mask.js';
import { RMSNorm } from './rms-norm.js';

export interface GroupedQueryAttentionOptions {
  embDim: number;
  nHeads: number;
  /** Key/value heads; each serves nHeads / nKvGroups query heads. */
  nKvGroups: number;
  /** Features per head; may differ from embDim / nHeads. */
  headDim: number;
  /** Rotates queries and keys by position. */
  rotary: PositionRotation;
  /** Scores are q·k times this (1/√headDim unless a family says otherwise). */
  queryScale: number;
  /** RMS-normalise each query and key head before the rotation (Qwen3, Gemma 3). */
  qkNorm?: { eps: number; unitOffset: boolean };
  /** Each token sees only itself and the window − 1 tokens before it. */
  slidingWindow?: number;
  generator?: Generator;
}

/**
 * Causal self-attention whose keys and values have fewer heads than its queries (grouped-query
 * attention), so a KV cache holds nKvGroups heads instead of nHeads. Query head h reads group
 * h / (nHeads / nKvGroups). Names follow Hugging Face: `q_proj`, `k_proj`, `v_proj`, `o_proj`,
 * `q_norm`, `k_norm`. (B, T, embDim) → (B, T, embDim)
 */
export class GroupedQueryAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;
  readonly qNorm: RMSNorm | undefined;
  readonly kNorm: RMSNorm | undefined;
  readonly #options: GroupedQueryAttentionOptions;

  constructor(options: GroupedQueryAttentionOptions) {
    super();
    const { embDim, nHeads, nKvGroups, headDim } = options;
    this.#options = options;
    const linear = { bias: false, ...(options.generator ? { generator: options.generator } : {}) };
    this.qProj = this.registerModule('q_proj', new Linear(embDim, nHeads * headDim, linear));
    this.kProj = this.registerModule('k_proj', new Linear(embDim, nKvGroups * headDim, linear));
    this.vProj = this.registerModule('v_proj', new Linear(embDim, nKvGroups * headDim, linear));
    this.oProj = this.registerModule('o_proj', new Linear(nHeads * headDim, embDim, linear));
    const norm = options.qkNorm;
    this.qNorm = norm
      ? this.registerModule('q_norm', new RMSNorm(headDim, norm.eps, norm.unitOffset))
      : undefined;
    this.kNorm = norm
      ? this.registerModule('k_norm', new RMSNorm(headDim, norm.eps, norm.unitOffset))
      : undefined;
  }

  /** With a cache, x holds the tokens after the cached ones, whose keys and values are appended. */
  forward(x: tf.Tensor, options: { cache?: LayerKVCache } = {}): tf.Tensor {
    const { nHeads, nKvGroups, headDim, rotary, queryScale, slidingWindow } = this.#options;
    return tf.tidy(() => {
      const [batch, tokens] = x.shape as [number, number, number];
      const offset = options.cache?.length ?? 0;
      let queries = this.#heads(this.qProj.forward(x), nHeads); // (B, H, T, hd)
      let keys = this.#heads(this.kProj.forward(x), nKvGroups); // (B, G, T, hd)
      let values = this.#heads(this.vProj.forward(x), nKvGroups);
      if (this.qNorm && this.kNorm) {
        queries = this.qNorm.forward(queries);
        keys = this.kNorm.forward(keys);
      }
      queries = rotary.rotate(queries, offset);
      keys = rotary.rotate(keys, offset);
      let firstKey = 0;
      if (options.cache) ({ keys, values, start: firstKey } = options.cache.append(keys, values)); // (B, G, T_keys, hd)
      const shared = [this.#shareGroups(keys, batch), this.#shareGroups(values, batch)] as const; // (B, H, T_keys, hd)
      // The fused kernel (where the backend has one) never holds the (T × T) weights, but it is causal
      // from position 0 with no window: cached tokens, or a window the sequence outgrows, take the masked path.
      const windowed = slidingWindow !== undefined && tokens > slidingWindow;
      const context =
        options.cache == null && !windowed && fusedAttentionAvailable()
          ? causalAttention(queries, shared[0], shared[1], { scale: queryScale })
          : this.#maskedAttention(queries, shared[0], shared[1], offset, firstKey);
      const merged = reshapeView(tf.transpose(context, [0, 2, 1, 3]), [batch, tokens, nHeads * headDim]);
      return this.oProj.forward(merged);
    });
  }

  /**
   * softmax(q·kᵀ·scale + mask)·v for queries after `offset` cached positions, over keys from position
   * `firstKey` on: (B, H, T, hd)
   */
  #maskedAttention(
    queries: tf.Tensor,
    keys: tf.Tensor,
    values: tf.Tensor,
    offset: number,
    firstKey: number,
  ): tf.Tensor {
    const { queryScale, slidingWindow } = this.#options;
    const tokens = queries.shape[2] as number;
    const scores = matMul(tf.mul(queries, queryScale), keys, false, true); // (B, H, T, T_keys)
    const weights = tf.softmax(
      addBroadcast(scores, attentionMask(tokens, offset, slidingWindow, firstKey)),
      -1,
    );
    return matMul(weights, values);
  }

  /** (B, T, heads·hd) → (B, heads, T, hd) */
  #heads(x: tf.Tensor, heads: number): tf.Tensor {
    const [batch, tokens] = x.shape as [number, number, number];
    return tf.transpose(reshapeView(x, [batch, tokens, heads, this.#options.headDim]), [0, 2, 1, 3]);
  }

  /** (B, G, T, hd) → (B, H, T, hd), each group repeated for the query heads it serves. */
  #shareGroups(x: tf.Tensor, batch: number): tf.Tensor {
    const { nHeads, nKvGroups, headDim } = this.#options;
    if (nHeads === nKvGroups) return x;
    const tokens = x.shape[2] as number;
    // Flattened to rank 4 before tiling: some backends tile only up to rank 4.
    const flat = tf.reshape(x, [batch, nKvGroups, 1, tokens * headDim]);
    const repeated = tf.tile(flat, [1, 1, nHeads / nKvGroups, 1]); // (B, G, H/G, T·hd)
    return tf.reshape(repeated, [batch, nHeads, tokens, headDim]);
  }
}

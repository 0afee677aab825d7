import { type LayerKVCache, MultiHeadAttention, type PositionRotation } from '@scratchgpt/attention';
import { addBroadcast, Dropout, type Generator, Module, tf } from '@scratchgpt/tensor';
import type { GPTConfig } from './config.js';
import { FeedForward } from './feed-forward.js';
import { LayerNorm } from './layer-norm.js';

export interface BlockCallOptions {
  cache?: LayerKVCache;
}

/** A block's output and, for inspection, its attention weights (B, heads, T, T_keys). */
export type BlockOutput = { output: tf.Tensor; attention: tf.Tensor };

/**
 * Pre-norm transformer block, two residual lines:
 *   x = x + drop(attention(norm1(x)))
 *   x = x + drop(feedForward(norm2(x)))
 */
export class TransformerBlock extends Module {
  readonly att: MultiHeadAttention;
  readonly ff: FeedForward;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropShortcut: Dropout;

  constructor(config: GPTConfig, options: { rotary?: PositionRotation; generator?: Generator } = {}) {
    super();
    const generator = options.generator ? { generator: options.generator } : {};
    this.att = this.registerModule(
      'att',
      new MultiHeadAttention({
        dIn: config.embDim,
        dOut: config.embDim,
        contextLength: config.contextLength,
        dropout: config.dropRate,
        numHeads: config.nHeads,
        qkvBias: config.qkvBias,
        ...(options.rotary ? { rotary: options.rotary } : {}),
        ...generator,
      }),
    );
    this.ff = this.registerModule('ff', new FeedForward(config.embDim, generator));
    this.norm1 = this.registerModule('norm1', new LayerNorm(config.embDim));
    this.norm2 = this.registerModule('norm2', new LayerNorm(config.embDim));
    this.dropShortcut = this.registerModule('drop_shortcut', new Dropout(config.dropRate, generator));
  }

  /** (B, T, embDim) → (B, T, embDim) */
  forwardWithAttention(x: tf.Tensor, options: BlockCallOptions = {}): BlockOutput {
    return tf.tidy(() => {
      const { output, weights } = this.#residuals(x, (normed) =>
        this.att.forwardWithWeights(normed, options),
      );
      return { output, attention: weights };
    });
  }

  /** (B, T, embDim) → (B, T, embDim), without keeping the attention weights (the attention may then fuse). */
  forward(x: tf.Tensor, options: BlockCallOptions = {}): tf.Tensor {
    return tf.tidy(
      () => this.#residuals(x, (normed) => ({ context: this.att.forward(normed, options) })).output,
    );
  }

  /** The two residual lines around `attend`, which returns the attention's context and whatever else. */
  #residuals<R extends { context: tf.Tensor }>(
    x: tf.Tensor,
    attend: (normed: tf.Tensor) => R,
  ): R & { output: tf.Tensor } {
    const attended = attend(this.norm1.forward(x));
    const afterAttention = addBroadcast(x, this.dropShortcut.forward(attended.context));
    const output = addBroadcast(
      afterAttention,
      this.dropShortcut.forward(this.ff.forward(this.norm2.forward(afterAttention))),
    );
    return { ...attended, output };
  }
}

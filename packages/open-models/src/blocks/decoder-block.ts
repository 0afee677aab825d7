import type { LayerKVCache, PositionRotation } from '@scratchgpt/attention';
import { addBroadcast, type Generator, Module, tf } from '@scratchgpt/tensor';
import type { DecoderConfig, LayerType } from './decoder-config.js';
import { GatedFeedForward } from './gated-feed-forward.js';
import { GroupedQueryAttention } from './grouped-query-attention.js';
import { RMSNorm } from './rms-norm.js';

/**
 * One pre-norm decoder layer, two residual lines:
 *   x = x + attention(input_layernorm(x))
 *   x = x + mlp(post_attention_layernorm(x))
 * With sandwich norms (Gemma 3) each sub-layer's output is normalised too before it is added:
 *   x = x + post_attention_layernorm(attention(input_layernorm(x)))
 *   x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
 */
export class DecoderBlock extends Module {
  readonly selfAttn: GroupedQueryAttention;
  readonly mlp: GatedFeedForward;
  readonly inputLayernorm: RMSNorm;
  readonly postAttentionLayernorm: RMSNorm;
  readonly preFeedforwardLayernorm: RMSNorm | undefined;
  readonly postFeedforwardLayernorm: RMSNorm | undefined;

  constructor(
    config: DecoderConfig,
    readonly layerType: LayerType,
    rotary: PositionRotation,
    options: { generator?: Generator } = {},
  ) {
    super();
    const { embDim, normEps, normUnitOffset } = config;
    const norm = () => new RMSNorm(embDim, normEps, normUnitOffset);
    this.selfAttn = this.registerModule(
      'self_attn',
      new GroupedQueryAttention({
        embDim,
        nHeads: config.nHeads,
        nKvGroups: config.nKvGroups,
        headDim: config.headDim,
        rotary,
        queryScale: config.queryScale,
        ...(config.qkNorm ? { qkNorm: { eps: normEps, unitOffset: normUnitOffset } } : {}),
        ...(layerType === 'sliding' ? { slidingWindow: config.slidingWindow as number } : {}),
        ...options,
      }),
    );
    this.mlp = this.registerModule(
      'mlp',
      new GatedFeedForward(embDim, config.hiddenDim, config.activation, options),
    );
    this.inputLayernorm = this.registerModule('input_layernorm', norm());
    this.postAttentionLayernorm = this.registerModule('post_attention_layernorm', norm());
    this.preFeedforwardLayernorm = config.sandwichNorms
      ? this.registerModule('pre_feedforward_layernorm', norm())
      : undefined;
    this.postFeedforwardLayernorm = config.sandwichNorms
      ? this.registerModule('post_feedforward_layernorm', norm())
      : undefined;
  }

  /** (B, T, embDim) → (B, T, embDim) */
  forward(x: tf.Tensor, options: { cache?: LayerKVCache } = {}): tf.Tensor {
    return tf.tidy(() => {
      const attended = this.selfAttn.forward(this.inputLayernorm.forward(x), options);
      if (!this.preFeedforwardLayernorm || !this.postFeedforwardLayernorm) {
        const afterAttention = addBroadcast(x, attended);
        return addBroadcast(
          afterAttention,
          this.mlp.forward(this.postAttentionLayernorm.forward(afterAttention)),
        );
      }
      const afterAttention = addBroadcast(x, this.postAttentionLayernorm.forward(attended));
      const fed = this.mlp.forward(this.preFeedforwardLayernorm.forward(afterAttention));
      return addBroadcast(afterAttention, this.postFeedforwardLayernorm.forward(fed));
    });
  }
}

import { KVCache } from '@scratchgpt/attention';
import { OutputHead, RotaryEmbedding, TokenEmbedding } from '@scratchgpt/embeddings';
import {
  buildPrecision,
  type Generator,
  type HalfTensor,
  Module,
  ModuleList,
  memoryBudgetBytes,
  type RecomputeMode,
  recomputeModule,
  type StoragePrecision,
  storeWeights,
  tf,
} from '@scratchgpt/tensor';
import { decoderWeightBytes } from './counts.js';
import { DecoderBlock } from './decoder-block.js';
import { type DecoderConfig, validateDecoderConfig } from './decoder-config.js';
import { RMSNorm } from './rms-norm.js';

export interface DecoderModelOptions {
  generator?: Generator;
  /** 'blocks': keep only each layer's input while training and recompute the rest in the backward pass. */
  recompute?: RecomputeMode;
}

export interface DecoderForwardOptions {
  /** Keys and values of earlier tokens: `ids` are then the next tokens after them. */
  cache?: KVCache;
}

/** The `model.` part of the Hugging Face names: embeddings, the layers and the final norm. */
class DecoderStack extends Module {
  readonly embedTokens: TokenEmbedding;
  readonly layers: ModuleList<DecoderBlock>;
  readonly norm: RMSNorm;

  constructor(
    config: DecoderConfig,
    rotaryOf: (type: DecoderBlock['layerType']) => RotaryEmbedding,
    generator: { generator?: Generator },
  ) {
    super();
    this.embedTokens = this.registerModule(
      'embed_tokens',
      new TokenEmbedding(config.vocabSize, config.embDim, generator),
    );
    const blocks = config.layerTypes.map((type) => new DecoderBlock(config, type, rotaryOf(type), generator));
    this.layers = this.registerModule('layers', new ModuleList(blocks));
    this.norm = this.registerModule(
      'norm',
      new RMSNorm(config.embDim, config.normEps, config.normUnitOffset),
    );
  }
}

/**
 * The decoder the open families share: token embeddings, a stack of {@link DecoderBlock}s, a final
 * RMSNorm and the output head (tied to the embeddings or `lm_head`). Parameter names are Hugging
 * Face's (`model.layers.0.self_attn.q_proj.weight`, …), so published checkpoints load by name.
 * Implements the trainer's LanguageModel: forward(ids) → logits.
 */
export class DecoderModel extends Module {
  readonly config: DecoderConfig;
  readonly model: DecoderStack;
  /** Absent when the head is tied to the token embedding. */
  readonly lmHead: OutputHead | undefined;
  /**
   * The final norm's output (B, T, embDim), and the head's weight as row shards: with both, the
   * trainer computes the head inside the loss in chunks and never holds all the logits. Absent when a
   * logit soft-cap sits between the head and the loss.
   */
  readonly hiddenStates?: (ids: tf.Tensor) => tf.Tensor;
  readonly outputWeights?: () => tf.Variable[] | readonly HalfTensor[];
  readonly #rotaries: RotaryEmbedding[] = [];
  /**
   * 'blocks' trades compute for memory while training: each layer keeps only its input for the
   * backward pass and runs again there (the same gradients, bit for bit). Evaluation and generation
   * with a cache are unaffected.
   */
  recompute: RecomputeMode;

  constructor(config: DecoderConfig, options: DecoderModelOptions = {}) {
    super();
    this.recompute = options.recompute ?? 'none';
    this.config = validateDecoderConfig({ ...config, layerTypes: [...config.layerTypes] });
    assertWeightsFit(this.config);
    const { headDim, contextLength, ropeScaling, ropeLinearFactor } = this.config;
    const generator = options.generator ? { generator: options.generator } : {};
    const rotary = (base: number, linearFactor: number | undefined) => {
      const made = new RotaryEmbedding(headDim, contextLength, base, {
        ...(ropeScaling ? { scaling: ropeScaling } : {}),
        ...(linearFactor !== undefined ? { linearFactor } : {}),
      });
      this.#rotaries.push(made);
      return made;
    };
    const global = rotary(this.config.ropeBase, ropeLinearFactor);
    // Sliding layers have their own base and no linear scaling (Gemma 3); one table each, shared by
    // the layers using it.
    const local = this.config.layerTypes.includes('sliding')
      ? rotary(this.config.ropeLocalBase, undefined)
      : global;
    this.model = this.registerModule(
      'model',
      new DecoderStack(this.config, (type) => (type === 'sliding' ? local : global), generator),
    );
    this.lmHead = this.config.tieEmbeddings
      ? undefined
      : this.registerModule('lm_head', new OutputHead(this.config.embDim, this.config.vocabSize, generator));
    if (this.config.finalLogitSoftcap === undefined) {
      this.hiddenStates = (ids) => tf.tidy(() => this.#hidden(ids, {}));
      this.outputWeights = () => {
        const table = this.lmHead ?? this.model.embedTokens;
        return table.halfShards ?? table.shards;
      };
    }
  }

  /** ids: int32 (B, T) → logits (B, T, vocabSize) */
  forward(ids: tf.Tensor, options: DecoderForwardOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const hidden = this.#hidden(ids, options);
      const logits = this.lmHead ? this.lmHead.forward(hidden) : this.model.embedTokens.project(hidden);
      const cap = this.config.finalLogitSoftcap;
      return cap === undefined ? logits : tf.mul(tf.tanh(tf.div(logits, cap)), cap);
    });
  }

  /**
   * The final norm's output (B, T, embDim), before the head and any soft-cap, whatever the family:
   * what a class head reads (Hugging Face's `last_hidden_state`).
   */
  lastHiddenState(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.#hidden(ids, {}));
  }

  /** Embeddings, every layer, the final norm: (B, T) → (B, T, embDim). */
  #hidden(ids: tf.Tensor, options: DecoderForwardOptions): tf.Tensor {
    let x = this.embed(ids, options.cache?.length ?? 0);
    const recomputed = this.recompute === 'blocks' && !options.cache;
    [...this.model.layers].forEach((layer, i) => {
      // A layer's own flag: a classifier built on this model switches its parts, not the model.
      x =
        recomputed && layer.training
          ? recomputeModule(layer, (input) => layer.forward(input), x)
          : layer.forward(x, options.cache ? { cache: options.cache.layer(i) } : {});
    });
    return this.model.norm.forward(x);
  }

  /** (B, T) token ids after `offset` cached ones → (B, T, embDim) */
  embed(ids: tf.Tensor, offset = 0): tf.Tensor {
    const { family, contextLength, embDim } = this.config;
    if (ids.rank !== 2)
      throw new RangeError(`${family} expects token ids of shape (batch, tokens), got [${ids.shape}]`);
    if (ids.dtype !== 'int32') throw new TypeError(`${family} expects int32 token ids, got ${ids.dtype}`);
    const end = offset + (ids.shape[1] as number);
    if (end > contextLength) {
      throw new RangeError(
        `${end} tokens exceed ${family}'s context length ${contextLength}: crop the input to the last contextLength tokens`,
      );
    }
    return tf.tidy(() => {
      const x = this.model.embedTokens.forward(ids);
      return this.config.scaleEmbeddings ? tf.mul(x, Math.sqrt(embDim)) : x;
    });
  }

  /**
   * A cache for generating with this model: one layer per block. Sliding-window layers keep only their
   * window, so their share stays bounded however long the generation runs.
   */
  createCache(): KVCache {
    const { layerTypes, slidingWindow } = this.config;
    return new KVCache(layerTypes.length, {
      windows: layerTypes.map((type) => (type === 'sliding' ? slidingWindow : undefined)),
    });
  }

  /**
   * Stores every linear layer and embedding table in `precision` (norms stay float32: they are tiny).
   * 16-bit weights are frozen; generation reads them directly and LoRA adapters still train on top.
   */
  async storeWeights(precision: StoragePrecision): Promise<void> {
    await storeWeights(this, precision);
  }

  override dispose(): void {
    for (const rotary of this.#rotaries) rotary.dispose();
    super.dispose();
  }
}

/** Refuses, before allocating any of it, a model whose float32 weights alone exceed the backend's memory. */
export function assertWeightsFit(
  config: DecoderConfig,
  weightPrecision: StoragePrecision = buildPrecision(),
): void {
  const budget = memoryBudgetBytes();
  const bytes = decoderWeightBytes(config, weightPrecision);
  if (budget !== null && bytes > budget) {
    const gib = (n: number) => (n / 2 ** 30).toFixed(1);
    const stored = weightPrecision === 'f32' ? 'float32' : weightPrecision;
    const halve =
      weightPrecision === 'f32' ? '; or store the weights in 16 bits (bf16), which halves this' : '';
    throw new RangeError(
      `This ${config.family} model's ${stored} weights take ${gib(bytes)} GiB, more than the ${gib(budget)} GiB ` +
        `the current backend can hold: choose a smaller model or a backend without that ceiling (WebGPU, node-gpu)${halve}`,
    );
  }
}

import { KVCache } from '@scratchgpt/attention';
import {
  type AdditivePositions,
  OutputHead,
  PositionalEmbedding,
  RotaryEmbedding,
  SinusoidalPositionalEmbedding,
  TokenEmbedding,
} from '@scratchgpt/embeddings';
import {
  addBroadcast,
  buildPrecision,
  Dropout,
  type Generator,
  type HalfTensor,
  Module,
  ModuleList,
  type RecomputeMode,
  recomputeModule,
  type StoragePrecision,
  storeWeights,
  tf,
} from '@scratchgpt/tensor';
import { type GPTConfig, validateConfig } from './config.js';
import { LayerNorm } from './layer-norm.js';
import { assertFitsMemory } from './memory.js';
import { type BlockCallOptions, TransformerBlock } from './transformer-block.js';

export interface ModelOptions {
  generator?: Generator;
  /** Largest shard of the vocabulary tables in bytes; defaults to the backend's binding limit. */
  maxShardBytes?: number | null;
  /** 'blocks': keep only each block's input while training and recompute the rest in the backward pass. */
  recompute?: RecomputeMode;
}

export interface ForwardOptions {
  /** Keys and values of earlier tokens: `ids` are then the next tokens after them. */
  cache?: KVCache;
}

/** Logits and every block's attention weights, (B, heads, T, T_keys) each. */
export type ForwardWithAttention = { logits: tf.Tensor; attention: tf.Tensor[] };

/**
 * The GPT model: token + position embeddings, `nLayers` transformer blocks, a final LayerNorm and the
 * output head. Parameter names are the book's, so its PyTorch state dicts load as they are.
 */
export class GPTModel extends Module {
  readonly config: GPTConfig;
  readonly tokEmb: TokenEmbedding;
  readonly posEmb: AdditivePositions | undefined;
  readonly dropEmb: Dropout;
  readonly trfBlocks: ModuleList<TransformerBlock>;
  readonly finalNorm: LayerNorm;
  /** Absent when the head is tied to the token embedding. */
  readonly outHead: OutputHead | undefined;
  readonly #rotary: RotaryEmbedding | undefined;
  /**
   * 'blocks' trades compute for memory while training: each block keeps only its input for the
   * backward pass and runs again there (the same gradients, bit for bit). Evaluation and generation
   * with a cache are unaffected.
   */
  recompute: RecomputeMode;

  constructor(config: GPTConfig, options: ModelOptions = {}) {
    super();
    this.recompute = options.recompute ?? 'none';
    this.config = validateConfig({ ...config });
    // Weights that cannot fit the backend are refused before any is allocated (in the precision they
    // are built in).
    assertFitsMemory(this.config, {
      batchSize: 1,
      tokens: 1,
      training: false,
      baseWeights: buildPrecision(),
    });
    const { vocabSize, contextLength, embDim, nLayers } = this.config;
    const generator = options.generator ? { generator: options.generator } : {};
    const shards = options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {};
    const positions = this.config.positionEmbedding ?? 'learned';

    this.tokEmb = this.registerModule(
      'tok_emb',
      new TokenEmbedding(vocabSize, embDim, { ...generator, ...shards }),
    );
    if (positions === 'learned') {
      this.posEmb = this.registerModule('pos_emb', new PositionalEmbedding(contextLength, embDim, generator));
    } else if (positions === 'sinusoidal') {
      this.posEmb = this.registerModule('pos_emb', new SinusoidalPositionalEmbedding(contextLength, embDim));
    }
    this.#rotary =
      positions === 'rotary' ? new RotaryEmbedding(embDim / this.config.nHeads, contextLength) : undefined;
    this.dropEmb = this.registerModule('drop_emb', new Dropout(this.config.dropRate, generator));
    const rotary = this.#rotary ? { rotary: this.#rotary } : {};
    const blocks = Array.from(
      { length: nLayers },
      () => new TransformerBlock(this.config, { ...rotary, ...generator }),
    );
    this.trfBlocks = this.registerModule('trf_blocks', new ModuleList(blocks));
    this.finalNorm = this.registerModule('final_norm', new LayerNorm(embDim));
    this.outHead = this.config.tieWeights
      ? undefined
      : this.registerModule('out_head', new OutputHead(embDim, vocabSize, { ...generator, ...shards }));
  }

  /** ids: int32 (B, T) → logits (B, T, vocabSize) */
  forward(ids: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    return tf.tidy(() => this.logits(this.hiddenStates(ids, options)));
  }

  /** Also returns each block's attention weights, e.g. to draw them. */
  forwardWithAttention(ids: tf.Tensor, options: ForwardOptions = {}): ForwardWithAttention {
    return tf.tidy(() => {
      const attention: tf.Tensor[] = [];
      const hidden = this.#run(ids, options, (block, x, blockOptions) => {
        const result = block.forwardWithAttention(x, blockOptions);
        attention.push(result.attention);
        return result.output;
      });
      return { logits: this.logits(hidden), attention };
    });
  }

  /**
   * The final LayerNorm's output, before the head: (B, T, embDim). With `outputWeights` it lets a
   * trainer fuse the head with the loss and never hold all the logits.
   */
  hiddenStates(ids: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    return tf.tidy(() =>
      this.#run(ids, options, (block, x, blockOptions) =>
        this.recompute === 'blocks' && block.training && !blockOptions.cache
          ? recomputeModule(block, (input) => block.forward(input), x)
          : block.forward(x, blockOptions),
      ),
    );
  }

  /** The one path of both: embed, run each block through `step`, then the final LayerNorm. */
  #run(
    ids: tf.Tensor,
    options: ForwardOptions,
    step: (block: TransformerBlock, x: tf.Tensor, blockOptions: BlockCallOptions) => tf.Tensor,
  ): tf.Tensor {
    let x = this.embed(ids, options); // (B, T, embDim)
    [...this.trfBlocks].forEach((block, i) => {
      x = step(block, x, options.cache ? { cache: options.cache.layer(i) } : {});
    });
    return this.finalNorm.forward(x);
  }

  /** Token embeddings plus positions (after any cached tokens), then dropout: (B, T) → (B, T, embDim). */
  embed(ids: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    if (ids.rank !== 2)
      throw new RangeError(`GPTModel expects token ids of shape (batch, tokens), got [${ids.shape}]`);
    if (ids.dtype !== 'int32') throw new TypeError(`GPTModel expects int32 token ids, got ${ids.dtype}`);
    const tokens = ids.shape[1] as number;
    const offset = options.cache?.length ?? 0;
    if (offset + tokens > this.config.contextLength) {
      throw new RangeError(
        `${offset + tokens} tokens exceed the model's context length ${this.config.contextLength}: ` +
          'crop the input to the last contextLength tokens',
      );
    }
    return tf.tidy(() => {
      let x = this.tokEmb.forward(ids); // (B, T, embDim)
      if (this.posEmb != null) x = addBroadcast(x, this.posEmb.forward(tokens, offset)); // + (T, embDim)
      return this.dropEmb.forward(x);
    });
  }

  /** The output head: hidden states (B, T, embDim) → logits (B, T, vocabSize). */
  logits(hidden: tf.Tensor): tf.Tensor {
    return this.outHead ? this.outHead.forward(hidden) : this.tokEmb.project(hidden);
  }

  /**
   * The output head's weight as row shards (vocabSize × embDim in all): logits = hidden · Wᵀ; float32
   * variables, or the frozen 16-bit shards while it is stored in 16 bits.
   */
  outputWeights(): tf.Variable[] | readonly HalfTensor[] {
    const table = this.outHead ?? this.tokEmb;
    return table.halfShards ?? table.shards;
  }

  /** A cache for generating with this model: one layer per block. */
  createCache(): KVCache {
    return new KVCache(this.config.nLayers);
  }

  /**
   * Stores every linear layer and embedding table in `precision` (norms stay float32: they are tiny).
   * 16-bit weights are frozen; generation reads them directly and LoRA adapters still train on top.
   */
  async storeWeights(precision: StoragePrecision): Promise<void> {
    await storeWeights(this, precision);
  }

  override dispose(): void {
    this.#rotary?.dispose();
    super.dispose();
  }
}

/**
 * A GPT with a class head (chapter 6): the model's blocks and final norm unchanged, its vocabulary head
 * replaced by `Linear(embDim, numClasses)` with a bias. The model is the book's `GPTModel` or an open
 * family's `DecoderModel` (its {@link ClassifierBackbone}). Parameter names stay the model's own (the
 * book's `tok_emb.weight` …, or Hugging Face's `model.layers.0.…`) and the head is the book's
 * `out_head.weight` [classes, embDim], `out_head.bias`: the book's PyTorch state dicts load as they
 * are, and every family's head is saved and loaded the same way. (Hugging Face's
 * `…ForSequenceClassification` calls its head `score` and gives it no bias, so its weights would not
 * fit this head under either name.)
 *
 * A class comes from one position's logits. The book reads the last position; with right padding that
 * is usually a pad token, so a prediction then depends on how much padding the batch had. Pooling
 * `'last-non-pad'` reads each text's own last token instead: causal attention means it has seen the
 * whole text and none of the padding.
 */
import { type Generator, Linear, Module, tf } from '@scratchgpt/tensor';
import { type BackboneModel, backboneOf, type ClassifierBackbone } from './backbone.js';

/** Which position's logits classify: the last (the book's), or each text's last token. */
export type Pooling = 'last' | 'last-non-pad';

/** What fine-tuning trains: the head; the last block, final norm and head (the book's); or everything. */
export type TrainablePart = 'head' | 'last-block' | 'all';

export const poolings: readonly Pooling[] = ['last', 'last-non-pad'];
export const trainableParts: readonly TrainablePart[] = ['head', 'last-block', 'all'];

export interface ClassifierOptions {
  numClasses: number;
  /** Default `'last'`, the book's. */
  pooling?: Pooling;
  /** Where the head's initial weights come from (PyTorch's `nn.Linear` initialisation). */
  generator?: Generator;
}

export class GPTClassifier extends Module {
  /** The model under the head: a GPT or an open family's decoder. */
  readonly backbone: ClassifierBackbone;
  readonly outHead: Linear;
  readonly numClasses: number;
  pooling: Pooling;

  /** Takes over `model`: its parts become this model's, and its vocabulary head (if any) is freed. */
  constructor(model: BackboneModel, options: ClassifierOptions) {
    super();
    const { numClasses } = options;
    if (!Number.isInteger(numClasses) || numClasses < 2) {
      throw new RangeError(`A classifier needs an integer number of classes ≥ 2, got ${numClasses}`);
    }
    this.backbone = backboneOf(model);
    this.numClasses = numClasses;
    this.pooling = options.pooling ?? 'last';
    // The model's own parts, registered under their own names.
    for (const [name, part] of this.backbone.parts) this.registerModule(name, part);
    this.backbone.freeVocabularyHead();
    const generator = options.generator ? { generator: options.generator } : {};
    this.outHead = this.registerModule('out_head', new Linear(this.backbone.embDim, numClasses, generator));
  }

  /**
   * Class logits (B, classes) of token ids (B, T). `lengths` (tokens before the padding, per row) is
   * needed with pooling `'last-non-pad'`.
   */
  forward(ids: tf.Tensor, lengths?: ArrayLike<number>): tf.Tensor {
    return tf.tidy(() => this.outHead.forward(this.pooled(this.backbone.hiddenStates(ids), lengths)));
  }

  /** The chosen position's hidden state of each row: (B, T, D) → (B, D). */
  private pooled(hidden: tf.Tensor, lengths?: ArrayLike<number>): tf.Tensor {
    const [batch, tokens, dim] = hidden.shape as [number, number, number];
    if (this.pooling === 'last')
      return tf.reshape(tf.slice(hidden, [0, tokens - 1, 0], [batch, 1, dim]), [batch, dim]);
    if (lengths == null || lengths.length !== batch) {
      throw new RangeError(`Pooling 'last-non-pad' needs the length of each of the ${batch} rows`);
    }
    const rows = Int32Array.from({ length: batch }, (_, row) => {
      const length = lengths[row] as number;
      if (!Number.isInteger(length) || length < 1 || length > tokens) {
        throw new RangeError(
          `Row ${row} has length ${length}; lengths are from 1 to the ${tokens} tokens of a row`,
        );
      }
      return row * tokens + length - 1;
    });
    return tf.gather(tf.reshape(hidden, [batch * tokens, dim]), tf.tensor1d(rows, 'int32')); // (B, D)
  }

  /** Freezes every parameter but `part`'s (the book: the last block, the final norm and the head). */
  trainOnly(part: TrainablePart): this {
    this.setTrainable(part === 'all');
    this.outHead.setTrainable(true);
    if (part === 'last-block') for (const module of this.backbone.lastBlock) module.setTrainable(true);
    return this;
  }

  override dispose(): void {
    // The model's own dispose frees its parts (and what it keeps outside them, such as rotary tables).
    this.backbone.model.dispose();
    this.outHead.dispose();
  }
}

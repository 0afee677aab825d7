/** Test helper: the fixture's tiny language model (embedding → tanh → Linear), PyTorch's names. */
import { type Generator, Linear, Module, randNormal, tf } from '@scratchgpt/tensor';

class Embedding extends Module {
  readonly weight: tf.Variable;
  constructor(count: number, dim: number, generator: Generator) {
    super();
    this.weight = this.registerParameter('weight', randNormal([count, dim], 0, 1, generator));
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.gather(this.weight, ids);
  }
}

export class TinyLanguageModel extends Module {
  readonly tokEmb: Embedding;
  readonly outHead: Linear;
  constructor(vocabSize: number, embDim: number, generator: Generator) {
    super();
    this.tokEmb = this.registerModule('tok_emb', new Embedding(vocabSize, embDim, generator));
    this.outHead = this.registerModule('out_head', new Linear(embDim, vocabSize, { generator }));
  }
  /** ids (B, T) int32 → logits (B, T, V) */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.outHead.forward(tf.tanh(this.tokEmb.forward(ids))));
  }
}

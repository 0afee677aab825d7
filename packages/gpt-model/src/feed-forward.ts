import { type Generator, gelu, Linear, Module, ModuleList, tf } from '@scratchgpt/tensor';
import { GELU } from './gelu.js';

/** Expand to 4 × embDim, GELU, project back: `layers.0`, `layers.1` (GELU), `layers.2`. */
export class FeedForward extends Module {
  readonly layers: ModuleList;
  readonly #expand: Linear;
  readonly #project: Linear;

  constructor(embDim: number, options: { generator?: Generator } = {}) {
    super();
    this.#expand = new Linear(embDim, 4 * embDim, options);
    this.#project = new Linear(4 * embDim, embDim, options);
    this.layers = this.registerModule('layers', new ModuleList([this.#expand, new GELU(), this.#project]));
  }

  /** (B, T, embDim) → (B, T, embDim) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.#project.forward(gelu(this.#expand.forward(x))));
  }
}

import { addBroadcast } from '../ops/add.js';
import { matMul } from '../ops/mat-mul.js';
import { type Generator, getDefaultGenerator, randUniform } from '../random.js';
import { tf } from '../tf.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
}

/**
 * A module whose output is added to a `Linear`'s, such as a low-rank adapter (LoRA): (N, in) → (N, out).
 * Attached in place, so a model's blocks keep calling the same layer and need no rebuilding.
 */
export interface LinearAdapter extends Module {
  forward(x: tf.Tensor): tf.Tensor;
  /** While false the layer runs as if no adapter were attached (LoRA's base model). */
  readonly enabled?: boolean;
}

/**
 * y = x Wᵀ + b, with W stored as `[out, in]` like PyTorch so state dicts load without transposing.
 * Initialised as PyTorch's `nn.Linear`: W and b uniform in ±1/√in.
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  #adapter: { name: string; module: LinearAdapter } | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    if (
      !Number.isInteger(inFeatures) ||
      !Number.isInteger(outFeatures) ||
      inFeatures < 1 ||
      outFeatures < 1
    ) {
      throw new RangeError(`Linear needs positive integer sizes, got in=${inFeatures}, out=${outFeatures}`);
    }
    const generator = options.generator ?? getDefaultGenerator();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      randUniform([outFeatures, inFeatures], -bound, bound, generator),
    );
    this.bias =
      options.bias === false
        ? undefined
        : this.registerParameter('bias', randUniform([outFeatures], -bound, bound, generator));
  }

  /** The adapter added to this layer's output, if one is attached. */
  get adapter(): LinearAdapter | undefined {
    return this.#adapter?.module;
  }

  /**
   * From now on the output is x Wᵀ + b + adapter(x). The adapter is registered as the child `name`, so
   * its parameters train, count and save with the model's (`….W_query.lora.A`).
   */
  attachAdapter(name: string, adapter: LinearAdapter): void {
    if (this.#adapter != null) {
      throw new Error(`This Linear already has the adapter '${this.#adapter.name}': detach it first`);
    }
    this.registerModule(name, adapter);
    this.#adapter = { name, module: adapter };
  }

  /** Removes the adapter (e.g. once merged into the weight) and returns it undisposed. */
  detachAdapter(): LinearAdapter | undefined {
    const attached = this.#adapter;
    if (attached == null) return undefined;
    this.unregisterModule(attached.name);
    this.#adapter = undefined;
    return attached.module;
  }

  /** x: (..., in) → (..., out) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const leading = x.shape.slice(0, -1);
      const flat = tf.reshape(x, [-1, this.inFeatures]); // (N, in)
      let y = matMul(flat, this.weight, false, true); // (N, out)
      if (this.bias != null) y = addBroadcast(y, this.bias);
      const adapter = this.#adapter?.module;
      if (adapter != null && adapter.enabled !== false) y = tf.add(y, adapter.forward(flat));
      return tf.reshape(y, [...leading, this.outFeatures]);
    });
  }
}

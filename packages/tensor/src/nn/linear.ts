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
 * y = x Wᵀ + b, with W stored as `[out, in]` like PyTorch so state dicts load without transposing.
 * Initialised as PyTorch's `nn.Linear`: W and b uniform in ±1/√in.
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

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

  /** x: (..., in) → (..., out) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const leading = x.shape.slice(0, -1);
      const flat = tf.reshape(x, [-1, this.inFeatures]); // (N, in)
      let y = matMul(flat, this.weight, false, true); // (N, out)
      if (this.bias != null) y = addBroadcast(y, this.bias);
      return tf.reshape(y, [...leading, this.outFeatures]);
    });
  }
}

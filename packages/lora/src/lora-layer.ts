/**
 * A low-rank update for a linear layer (appendix E): (N, in) → (N, out) as scale · x·A·B, with A
 * [in, rank] and B [rank, out]. B starts at zero, so attaching the layer changes no output until it
 * trains; A starts Kaiming-uniform (PyTorch's `kaiming_uniform_(a=√5)` on [in, rank]: U(±1/√rank)).
 */
import {
  type Generator,
  getDefaultGenerator,
  type LinearAdapter,
  Module,
  matMul,
  mulConstant,
  randUniform,
  tf,
} from '@scratchgpt/tensor';

/**
 * How alpha scales the update: `'rank'` multiplies by alpha / rank (the book's current code, and
 * PEFT's), `'alpha'` by alpha alone (the book's printed first edition).
 */
export type LoRAScaling = 'rank' | 'alpha';

export interface LoRAOptions {
  rank: number;
  alpha: number;
  /** Default `'rank'`: alpha / rank. */
  scaling?: LoRAScaling;
  /** Where A's initial values come from (default: the default generator). */
  generator?: Generator;
}

export class LoRALayer extends Module implements LinearAdapter {
  /** [in, rank] */
  readonly A: tf.Variable;
  /** [rank, out] */
  readonly B: tf.Variable;
  readonly rank: number;
  readonly alpha: number;
  readonly scaling: LoRAScaling;
  /** What x·A·B is multiplied by. */
  readonly scale: number;
  /** Off, the layer it is attached to gives the base model's output (`withAdaptersDisabled`). */
  enabled = true;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LoRAOptions,
  ) {
    super();
    const { rank, alpha } = options;
    if (!Number.isInteger(rank) || rank < 1)
      throw new RangeError(`LoRA rank must be an integer ≥ 1, got ${rank}`);
    if (!(Number.isFinite(alpha) && alpha > 0))
      throw new RangeError(`LoRA alpha must be a number > 0, got ${alpha}`);
    this.rank = rank;
    this.alpha = alpha;
    this.scaling = options.scaling ?? 'rank';
    this.scale = this.scaling === 'rank' ? alpha / rank : alpha;
    const bound = 1 / Math.sqrt(rank);
    const generator = options.generator ?? getDefaultGenerator();
    this.A = this.registerParameter('A', randUniform([inFeatures, rank], -bound, bound, generator));
    this.B = this.registerParameter('B', tf.zeros([rank, outFeatures]));
  }

  /** x: (N, in) → (N, out) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => mulConstant(matMul(matMul(x, this.A), this.B), this.scale));
  }

  /** The update as a weight of PyTorch's layout [out, in]: scale · (A·B)ᵀ. */
  weightDelta(): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.transpose(matMul(this.A, this.B)), this.scale));
  }
}

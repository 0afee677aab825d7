import type { HalfTensor } from '../half/half-tensor.js';
import { halfTensor, toHalf } from '../half/half-tensor.js';
import { matMulHalf } from '../half/mat-mul-half.js';
import type { StoragePrecision } from '../half/precision.js';
import { unpackHalf } from '../half/rounding.js';
import { widenHalf } from '../half/widen-half.js';
import { addBroadcast } from '../ops/add.js';
import { reshapeView } from '../ops/lean.js';
import { matMul } from '../ops/mat-mul.js';
import { type Generator, getDefaultGenerator, randUniform } from '../random.js';
import { tf } from '../tf.js';
import { buildPrecision } from './build-precision.js';
import { assertShape, type HostTensor, isHostTensor, Module, type StateDict } from './module.js';
import type { WeightStorage } from './store-weights.js';

export interface LinearOptions {
  bias?: boolean;
  generator?: Generator;
  /**
   * Stores W in this precision from the start (f16/bf16: frozen, as after `storeWeight`); default: the
   * build's (`buildInPrecision`), else f32.
   */
  weightPrecision?: StoragePrecision;
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
 *
 * W can be stored in 16 bits (`storeWeight('bf16')`): it is then frozen, no longer a parameter, and
 * read by `matMulHalf`; state dicts still hold it as float32 (its rounded values), and an adapter
 * attached on top trains in float32.
 */
export class Linear extends Module implements WeightStorage {
  #weight: tf.Variable | undefined;
  #halfWeight: HalfTensor | undefined;
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
    const precision = options.weightPrecision ?? buildPrecision();
    if (precision === 'f32') {
      this.#weight = this.registerParameter(
        'weight',
        randUniform([outFeatures, inFeatures], -bound, bound, generator),
      );
    } else {
      this.#halfWeight = generator.uniformHalf([outFeatures, inFeatures], -bound, bound, precision);
    }
    this.bias =
      options.bias === false
        ? undefined
        : this.registerParameter('bias', randUniform([outFeatures], -bound, bound, generator));
  }

  /** W as a float32 variable; an error while it is stored in 16 bits. */
  get weight(): tf.Variable {
    if (this.#weight == null) {
      throw new Error(
        `This Linear's weight is stored in ${this.weightPrecision} and frozen: storeWeight('f32') widens ` +
          'it back (merge adapters, or change the weight, before storing it in 16 bits)',
      );
    }
    return this.#weight;
  }

  get weightPrecision(): StoragePrecision {
    return this.#halfWeight?.precision ?? 'f32';
  }

  /** W in 16 bits, while it is stored so. */
  get halfWeight(): HalfTensor | undefined {
    return this.#halfWeight;
  }

  /**
   * Stores W in `precision`: float32 → f16/bf16 (rounded to nearest even; a value f16 cannot hold is
   * refused), or 16 bits → float32 (the rounded values, trainable again). Between the two 16-bit formats
   * it refuses: that would round twice.
   */
  async storeWeight(precision: StoragePrecision): Promise<void> {
    const current = this.weightPrecision;
    if (precision === current) return;
    if (current !== 'f32' && precision !== 'f32') {
      throw new Error(
        `This Linear's weight is already in ${current}: store it in f32 first to change formats`,
      );
    }
    if (precision === 'f32') {
      const half = this.#halfWeight as HalfTensor;
      this.#weight = this.registerParameter('weight', widenHalf(half));
      this.#halfWeight = undefined;
      half.dispose();
      return;
    }
    this.#halfWeight = await toHalf(this.weight, precision);
    this.unregisterParameter('weight').dispose();
    this.#weight = undefined;
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
      const flat = reshapeView(x, [-1, this.inFeatures]); // (N, in)
      const half = this.#halfWeight;
      let y =
        half == null ? matMul(flat, this.weight, false, true) : matMulHalf(flat, half, { transposeB: true }); // (N, out)
      if (this.bias != null) y = addBroadcast(y, this.bias);
      const adapter = this.#adapter?.module;
      if (adapter != null && adapter.enabled !== false) y = addBroadcast(y, adapter.forward(flat));
      return reshapeView(y, [...leading, this.outFeatures]);
    });
  }

  protected override ownStateNames(): string[] {
    return this.#halfWeight == null ? super.ownStateNames() : ['weight', ...super.ownStateNames()];
  }

  protected override ownStateShapes(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    if (this.#halfWeight != null) out.set('weight', [...this.#halfWeight.shape]);
    for (const [name, shape] of super.ownStateShapes()) out.set(name, shape);
    return out;
  }

  protected override ownState(): StateDict {
    const out: StateDict = new Map();
    if (this.#halfWeight != null) out.set('weight', widenHalf(this.#halfWeight));
    for (const [name, tensor] of super.ownState()) out.set(name, tensor);
    return out;
  }

  protected override async ownHostState(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    const half = this.#halfWeight;
    if (half != null) {
      const words = (await half.words.data()) as Int32Array;
      out.set('weight', { shape: [...half.shape], data: unpackHalf(words, half.shape, half.precision) });
    }
    for (const [name, tensor] of await super.ownHostState()) out.set(name, tensor);
    return out;
  }

  /** A 16-bit weight is replaced by the given values, rounded to its format. */
  protected override loadOwnState(entries: Map<string, tf.Tensor | HostTensor>, prefix: string): void {
    const half = this.#halfWeight;
    const given = entries.get('weight');
    if (half != null && given != null) {
      assertShape(`${prefix}weight`, given.shape, half.shape);
      const values = isHostTensor(given) ? given.data : (given.dataSync() as Float32Array);
      this.#halfWeight = halfTensor(values, half.shape, half.precision);
      half.dispose();
    }
    super.loadOwnState(entries, prefix);
  }

  override dispose(): void {
    this.#halfWeight?.dispose();
    super.dispose();
  }
}

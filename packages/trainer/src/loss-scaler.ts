/**
 * Dynamic loss scaling, as PyTorch's `GradScaler`: half precision's gradients underflow to zero below
 * 2^-24, so the loss is multiplied by a large scale before the backward pass and the gradients divided
 * by it after. A scale too large overflows some gradient to ∞ or NaN: that step is skipped (no update)
 * and the scale halved. After `growthInterval` finite steps in a row the scale doubles again.
 */
import { tf } from '@scratchgpt/tensor';
import { firstNonFinite } from './finite-check.js';
import { entriesOf, type Gradients } from './named-tensors.js';
import { FLOAT32_MAX } from './settings.js';

/** What a run saves of its scaler, to continue with the same scale. */
export interface LossScalerState {
  scale: number;
  /** Finite steps since the scale last changed. */
  growthTracker: number;
}

export interface LossScalerOptions {
  /** Default 2^16, PyTorch's. */
  initScale?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Finite steps before the scale grows (default 2000). */
  growthInterval?: number;
}

export class LossScaler {
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  #scale: number;
  #growthTracker = 0;

  constructor(options: LossScalerOptions = {}) {
    this.#scale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(this.#scale > 0 && Number.isFinite(this.#scale)))
      throw new RangeError(`initScale must be a finite number > 0, got ${this.#scale}`);
    if (!(this.growthFactor > 1)) throw new RangeError(`growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1))
      throw new RangeError(`backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    if (!Number.isInteger(this.growthInterval) || this.growthInterval < 1)
      throw new RangeError(`growthInterval must be an integer ≥ 1, got ${this.growthInterval}`);
  }

  /** The factor the next step's loss is multiplied by. */
  get scale(): number {
    return this.#scale;
  }

  state(): LossScalerState {
    return { scale: this.#scale, growthTracker: this.#growthTracker };
  }

  setState(state: LossScalerState): this {
    if (!(state.scale > 0 && Number.isFinite(state.scale)))
      throw new RangeError(`A loss scale must be a finite number > 0, got ${state.scale}`);
    if (!Number.isInteger(state.growthTracker) || state.growthTracker < 0)
      throw new RangeError(`A growth tracker must be an integer ≥ 0, got ${state.growthTracker}`);
    this.#scale = state.scale;
    this.#growthTracker = state.growthTracker;
    return this;
  }

  /**
   * The gradients divided by the scale (new tensors, by the same names; the caller disposes them and
   * still owns the inputs), and whether every one of them is finite: one read for all.
   */
  async unscale(grads: Gradients): Promise<{ grads: Map<string, tf.Tensor>; finite: boolean }> {
    const entries = entriesOf(grads);
    const inverse = 1 / this.#scale;
    const unscaled = tf.tidy(() => entries.map(([, grad]) => tf.mul(grad, inverse)));
    const named = entries.map(([name], i): [string, tf.Tensor] => [name, unscaled[i] as tf.Tensor]);
    const finite = (await firstNonFinite(named)) === undefined;
    return { grads: new Map(named), finite };
  }

  /** After each step: back off when its gradients were not finite, grow after enough finite ones. */
  update(finite: boolean): void {
    if (!finite) {
      this.#scale *= this.backoffFactor;
      this.#growthTracker = 0;
      return;
    }
    this.#growthTracker++;
    if (this.#growthTracker === this.growthInterval) {
      // Growth stops short of float32's range: a scale of ∞ would make every loss infinite.
      const grown = this.#scale * this.growthFactor;
      if (grown <= FLOAT32_MAX) this.#scale = grown;
      this.#growthTracker = 0;
    }
  }
}

/**
 * AdamW with `torch.optim.AdamW`'s semantics (TF.js has none, and its Adam's epsilon differs).
 *
 * For each parameter with a gradient, at its own step count t:
 *   p ← p·(1 − lr·wd)                               decoupled weight decay, before the update
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
 * A parameter without a gradient is skipped and its step count stays (PyTorch's `None` gradient).
 */
import type { AdamWScalars, tf } from '@scratchgpt/tensor';
import { defaultMomentStore, type HostMoment, type MomentStore } from './adamw-moments.js';
import { entriesOf, type Gradients, sameShape } from './named-tensors.js';

export interface AdamWOptions {
  lr: number;
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to √v̂ (default 1e-8, as PyTorch; TF.js's Adam uses 1e-7 inside the root). */
  eps?: number;
  /** Decoupled weight decay (default 0.01, as PyTorch). */
  weightDecay?: number;
  /**
   * Where the moments live. By default AdamW chooses from the backend's memory budget (see
   * `preferredMomentsLocation`): on the device, or in JavaScript memory where a bounded heap (wasm's
   * 4 GiB) could not hold them. Both give the same results bit for bit. A new store for this optimizer
   * alone.
   */
  momentStore?: MomentStore;
}

/** One parameter's moments and the number of updates it has had. */
export interface AdamWMoments {
  m: tf.Tensor;
  v: tf.Tensor;
  step: number;
}

export interface HostAdamWMoments {
  m: HostMoment;
  v: HostMoment;
  step: number;
}

/** `AdamWState` with the moments on the host, as checkpoints hold them. */
export interface HostAdamWState {
  step: number;
  lr: number;
  moments: Map<string, HostAdamWMoments>;
}

/**
 * Everything needed to resume: `step` counts `step()` calls, `lr` is the last rate set, and `moments`
 * holds, by parameter name, the moments of every parameter updated so far.
 */
export interface AdamWState {
  step: number;
  lr: number;
  moments: Map<string, AdamWMoments>;
}

interface Slot {
  param: tf.Variable;
  /** Updates it has had (its moments are in the store from the first). */
  step: number;
}

export class AdamW {
  /** The learning rate of the next `step()`; a schedule sets it before each step. */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** This optimizer's moments. */
  readonly moments: MomentStore;
  #step = 0;
  readonly #slots = new Map<string, Slot>();

  constructor(namedParams: Iterable<readonly [string, tf.Variable]>, options: AdamWOptions) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    checkHyperparameters(this.lr, this.betas, this.eps, this.weightDecay);
    for (const [name, param] of namedParams) {
      if (this.#slots.has(name)) throw new Error(`AdamW got parameter '${name}' twice`);
      if (param.dtype !== 'float32') {
        throw new TypeError(`AdamW updates float32 parameters; '${name}' is ${param.dtype}`);
      }
      this.#slots.set(name, { param, step: 0 });
    }
    let parameterCount = 0;
    for (const { param } of this.#slots.values()) parameterCount += param.size;
    this.moments = options.momentStore ?? defaultMomentStore(parameterCount);
  }

  /** Number of `step()` calls so far (restored by `setState`). */
  get stepCount(): number {
    return this.#step;
  }

  /** Updates every parameter that has a gradient in `grads`; the gradients stay the caller's. */
  step(grads: Gradients): void {
    const byName = new Map(entriesOf(grads));
    for (const [name, grad] of byName) {
      const slot = this.#slots.get(name);
      if (slot == null) {
        throw new Error(`AdamW got a gradient for '${name}', which is not one of its parameters`);
      }
      if (!sameShape(grad.shape, slot.param.shape)) {
        throw new RangeError(
          `Gradient '${name}' has shape [${grad.shape.join(', ')}] but the parameter is ` +
            `[${slot.param.shape.join(', ')}]`,
        );
      }
    }
    checkHyperparameters(this.lr, this.betas, this.eps, this.weightDecay);
    this.#step++;
    for (const [name, slot] of this.#slots) {
      const grad = byName.get(name);
      if (grad != null) {
        slot.step++;
        this.moments.update(name, slot.param, grad, this.scalars(slot.step));
      }
    }
  }

  /** The update's scalars at a parameter's step count, in float64 as PyTorch computes them in Python. */
  private scalars(step: number): AdamWScalars {
    const [beta1, beta2] = this.betas;
    return {
      decay: 1 - this.lr * this.weightDecay,
      beta1,
      beta2,
      correction2Sqrt: Math.sqrt(1 - beta2 ** step),
      eps: this.eps,
      stepSize: this.lr / (1 - beta1 ** step),
    };
  }

  /** A snapshot to save: the tensors are new handles the caller must dispose. */
  getState(): AdamWState {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, { step }] of this.#slots) {
      const tensors = this.moments.tensors(name);
      if (tensors != null) moments.set(name, { ...tensors, step });
    }
    return { step: this.#step, lr: this.lr, moments };
  }

  /**
   * The state with the moments read back to the host (asynchronously, as WebGPU requires), without
   * ever holding a second copy of them on the device: what a checkpoint saves.
   */
  async getHostState(): Promise<HostAdamWState> {
    const moments = new Map<string, HostAdamWMoments>();
    for (const [name, { step }] of this.#slots) {
      const read = await this.moments.read(name);
      if (read != null) moments.set(name, { ...read, step });
    }
    return { step: this.#step, lr: this.lr, moments };
  }

  /** Restores a host snapshot (see `getHostState`). */
  setHostState(state: HostAdamWState): void {
    this.setState(state);
  }

  private checkState(state: {
    step: number;
    moments: Map<string, { m: { shape: readonly number[] }; v: { shape: readonly number[] }; step: number }>;
  }): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`AdamW state step must be a non-negative integer, got ${state.step}`);
    }
    for (const [name, moments] of state.moments) {
      const slot = this.#slots.get(name);
      if (slot == null)
        throw new Error(`AdamW state has moments for '${name}', which is not one of its parameters`);
      for (const [which, tensor] of [
        ['m', moments.m],
        ['v', moments.v],
      ] as const) {
        if (!sameShape(tensor.shape, slot.param.shape)) {
          throw new RangeError(
            `AdamW state '${name}.${which}' has shape [${tensor.shape.join(', ')}] but the parameter is ` +
              `[${slot.param.shape.join(', ')}]`,
          );
        }
      }
      if (!Number.isInteger(moments.step) || moments.step < 1) {
        throw new RangeError(`AdamW state '${name}.step' must be a positive integer, got ${moments.step}`);
      }
    }
  }

  /** Restores a snapshot (copying its values; its tensors stay the caller's). */
  setState(state: AdamWState | HostAdamWState): void {
    this.checkState(state);
    this.disposeMoments();
    for (const [name, slot] of this.#slots) {
      const moments = state.moments.get(name);
      if (moments == null) continue;
      this.moments.set(name, moments.m, moments.v);
      slot.step = moments.step;
    }
    this.#step = state.step;
    this.lr = state.lr;
  }

  /** Frees the moments (the parameters stay the caller's). */
  dispose(): void {
    this.disposeMoments();
  }

  private disposeMoments(): void {
    this.moments.clear();
    for (const slot of this.#slots.values()) slot.step = 0;
  }
}

function checkHyperparameters(lr: number, betas: readonly number[], eps: number, weightDecay: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`AdamW lr must be a finite number ≥ 0, got ${lr}`);
  if (betas.length !== 2 || betas.some((beta) => !(beta >= 0 && beta < 1))) {
    throw new RangeError(`AdamW betas must be two numbers in [0, 1), got [${betas.join(', ')}]`);
  }
  if (!(eps >= 0)) throw new RangeError(`AdamW eps must be ≥ 0, got ${eps}`);
  if (!(weightDecay >= 0)) throw new RangeError(`AdamW weightDecay must be ≥ 0, got ${weightDecay}`);
}

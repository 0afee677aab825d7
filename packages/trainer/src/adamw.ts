/**
 * AdamW with `torch.optim.AdamW`'s semantics (TF.js has none, and its Adam's epsilon differs).
 *
 * For each parameter with a gradient, at its own step count t:
 *   p ← p·(1 − lr·wd)                               decoupled weight decay, before the update
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
 * A parameter without a gradient is skipped and its step count stays (PyTorch's `None` gradient).
 */
import { tf } from '@scratchgpt/tensor';
import { entriesOf, type Gradients, sameShape } from './named-tensors.js';

export interface AdamWOptions {
  lr: number;
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to √v̂ (default 1e-8, as PyTorch; TF.js's Adam uses 1e-7 inside the root). */
  eps?: number;
  /** Decoupled weight decay (default 0.01, as PyTorch). */
  weightDecay?: number;
}

/** One parameter's moments and the number of updates it has had. */
export interface AdamWMoments {
  m: tf.Tensor;
  v: tf.Tensor;
  step: number;
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
  m: tf.Variable | undefined;
  v: tf.Variable | undefined;
  step: number;
}

export class AdamW {
  /** The learning rate of the next `step()`; a schedule sets it before each step. */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
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
      this.#slots.set(name, { param, m: undefined, v: undefined, step: 0 });
    }
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
      if (grad != null) this.update(slot, grad);
    }
  }

  private update(slot: Slot, grad: tf.Tensor): void {
    const [beta1, beta2] = this.betas;
    slot.m ??= momentVariable(tf.zerosLike(slot.param));
    slot.v ??= momentVariable(tf.zerosLike(slot.param));
    const { param, m, v } = slot;
    slot.step++;
    // Scalars in float64 as PyTorch computes them in Python, rounded to float32 when applied.
    const decay = 1 - this.lr * this.weightDecay;
    const stepSize = this.lr / (1 - beta1 ** slot.step);
    const correction2Sqrt = Math.sqrt(1 - beta2 ** slot.step);
    tf.tidy(() => {
      const g = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
      const decayed = tf.mul(param, decay);
      const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
      const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
      const denom = tf.add(tf.div(tf.sqrt(newV), correction2Sqrt), this.eps);
      param.assign(tf.sub(decayed, tf.mul(tf.div(newM, denom), stepSize)));
      m.assign(newM);
      v.assign(newV);
    });
  }

  /** A snapshot to save: the tensors are new handles the caller must dispose. */
  getState(): AdamWState {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, { m, v, step }] of this.#slots) {
      if (m != null && v != null) moments.set(name, { m: tf.clone(m), v: tf.clone(v), step });
    }
    return { step: this.#step, lr: this.lr, moments };
  }

  /** Restores a snapshot (copying its values; its tensors stay the caller's). */
  setState(state: AdamWState): void {
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
    this.disposeMoments();
    for (const [name, slot] of this.#slots) {
      const moments = state.moments.get(name);
      if (moments == null) continue;
      slot.m = momentVariable(tf.cast(moments.m, 'float32'));
      slot.v = momentVariable(tf.cast(moments.v, 'float32'));
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
    for (const slot of this.#slots.values()) {
      slot.m?.dispose();
      slot.v?.dispose();
      slot.m = undefined;
      slot.v = undefined;
      slot.step = 0;
    }
  }
}

/** A non-trainable variable (so `tf.variableGrads` never differentiates it) taking over `initial`. */
function momentVariable(initial: tf.Tensor): tf.Variable {
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}

function checkHyperparameters(lr: number, betas: readonly number[], eps: number, weightDecay: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`AdamW lr must be a finite number ≥ 0, got ${lr}`);
  if (betas.length !== 2 || betas.some((beta) => !(beta >= 0 && beta < 1))) {
    throw new RangeError(`AdamW betas must be two numbers in [0, 1), got [${betas.join(', ')}]`);
  }
  if (!(eps >= 0)) throw new RangeError(`AdamW eps must be ≥ 0, got ${eps}`);
  if (!(weightDecay >= 0)) throw new RangeError(`AdamW weightDecay must be ≥ 0, got ${weightDecay}`);
}

/**
 * AdamW with `torch.optim.AdamW`'s semantics (TF.js has none, and its Adam's epsilon differs).
 *
 * For each parameter with a gradient, at its own step count t:
 *   p ← p·(1 − lr·wd)                               decoupled weight decay, before the update
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
 * A parameter without a gradient is skipped and its step count stays (PyTorch's `None` gradient).
 */
import {
  type AdamWScalars,
  adamwOnArrays,
  adamwUpdate,
  heapView,
  memoryBudgetBytes,
  tf,
} from '@scratchgpt/tensor';
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
   * Where the moments live: 'device' (default) or 'host', in JavaScript memory. 'host' leaves the two
   * parameter-sized moments out of the wasm backend's 4 GiB heap (GPT-2 small needs 1.2 GB of them);
   * the update is computed in float32 exactly as the device does, so results are the same bit for bit.
   */
  moments?: 'device' | 'host';
}

/** One parameter's moments and the number of updates it has had. */
export interface AdamWMoments {
  m: tf.Tensor;
  v: tf.Tensor;
  step: number;
}

/** A moment tensor on the host. */
export interface HostMoment {
  shape: number[];
  data: Float32Array;
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
  m: tf.Variable | undefined;
  v: tf.Variable | undefined;
  /** The moments in 'host' mode. */
  hostM: Float32Array | undefined;
  hostV: Float32Array | undefined;
  step: number;
}

export class AdamW {
  /** The learning rate of the next `step()`; a schedule sets it before each step. */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly moments: 'device' | 'host';
  #step = 0;
  readonly #slots = new Map<string, Slot>();

  constructor(namedParams: Iterable<readonly [string, tf.Variable]>, options: AdamWOptions) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.moments = options.moments ?? 'device';
    checkHyperparameters(this.lr, this.betas, this.eps, this.weightDecay);
    for (const [name, param] of namedParams) {
      if (this.#slots.has(name)) throw new Error(`AdamW got parameter '${name}' twice`);
      if (param.dtype !== 'float32') {
        throw new TypeError(`AdamW updates float32 parameters; '${name}' is ${param.dtype}`);
      }
      this.#slots.set(name, {
        param,
        m: undefined,
        v: undefined,
        hostM: undefined,
        hostV: undefined,
        step: 0,
      });
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
      if (grad != null) {
        if (this.moments === 'host') this.updateOnHost(slot, grad);
        else this.update(slot, grad);
      }
    }
  }

  private update(slot: Slot, grad: tf.Tensor): void {
    slot.m ??= momentVariable(tf.zerosLike(slot.param));
    slot.v ??= momentVariable(tf.zerosLike(slot.param));
    const { param, m, v } = slot;
    slot.step++;
    tf.tidy(() => {
      // One fused pass on WebGPU, wasm and blas; the same float32 steps composed elsewhere.
      const next = adamwUpdate(param, grad, m, v, this.scalars(slot.step));
      param.assign(next.param);
      m.assign(next.m);
      v.assign(next.v);
    });
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

  /**
   * The same update with the moments in JavaScript memory, one float32 rounding per device operation so
   * that it matches the device bit for bit. Reads synchronously: 'host' mode is for backends that can
   * (wasm, cpu).
   */
  private updateOnHost(slot: Slot, grad: tf.Tensor): void {
    const size = slot.param.size;
    slot.hostM ??= new Float32Array(size);
    slot.hostV ??= new Float32Array(size);
    slot.step++;
    // The gradient is read where it lies on wasm (no copy). The parameter is replaced, never written in
    // place: the wasm backend caches products' packed operands by tensor, and a weight changed under the
    // same tensor made later products use its old values.
    const g = heapView(grad) ?? (grad.dataSync() as Float32Array);
    const current = heapView(slot.param) ?? (slot.param.dataSync() as Float32Array);
    const p = new Float32Array(size);
    const { hostM: m, hostV: v } = slot;
    adamwOnArrays(g, current, m, v, { p, m, v }, this.scalars(slot.step));
    tf.tidy(() => slot.param.assign(tf.tensor(p, slot.param.shape, 'float32')));
  }

  /** A snapshot to save: the tensors are new handles the caller must dispose. */
  getState(): AdamWState {
    const moments = new Map<string, AdamWMoments>();
    for (const [name, { m, v, hostM, hostV, step, param }] of this.#slots) {
      if (m != null && v != null) moments.set(name, { m: tf.clone(m), v: tf.clone(v), step });
      if (hostM != null && hostV != null) {
        moments.set(name, {
          m: tf.tensor(hostM.slice(), param.shape, 'float32'),
          v: tf.tensor(hostV.slice(), param.shape, 'float32'),
          step,
        });
      }
    }
    return { step: this.#step, lr: this.lr, moments };
  }

  /**
   * The state with the moments read back to the host (asynchronously, as WebGPU requires), without
   * ever holding a second copy of them on the device: what a checkpoint saves.
   */
  async getHostState(): Promise<HostAdamWState> {
    const moments = new Map<string, HostAdamWMoments>();
    for (const [name, slot] of this.#slots) {
      const shape = [...slot.param.shape];
      if (slot.hostM != null && slot.hostV != null) {
        moments.set(name, {
          m: { shape, data: slot.hostM.slice() },
          v: { shape, data: slot.hostV.slice() },
          step: slot.step,
        });
      } else if (slot.m != null && slot.v != null) {
        moments.set(name, {
          m: { shape, data: (await slot.m.data()) as Float32Array },
          v: { shape, data: (await slot.v.data()) as Float32Array },
          step: slot.step,
        });
      }
    }
    return { step: this.#step, lr: this.lr, moments };
  }

  /** Restores a host snapshot (see `getHostState`). */
  setHostState(state: HostAdamWState): void {
    const moments = new Map<string, AdamWMoments>();
    try {
      if (this.moments === 'host') {
        // The arrays are copied in directly: nothing touches the device.
        this.checkState(state);
        this.disposeMoments();
        for (const [name, entry] of state.moments) {
          const slot = this.#slots.get(name)!;
          slot.hostM = Float32Array.from(entry.m.data);
          slot.hostV = Float32Array.from(entry.v.data);
          slot.step = entry.step;
        }
        this.#step = state.step;
        this.lr = state.lr;
        return;
      }
      for (const [name, entry] of state.moments) {
        moments.set(name, {
          m: tf.tensor(entry.m.data, entry.m.shape, 'float32'),
          v: tf.tensor(entry.v.data, entry.v.shape, 'float32'),
          step: entry.step,
        });
      }
      this.setState({ step: state.step, lr: state.lr, moments });
    } finally {
      for (const { m, v } of moments.values()) tf.dispose([m, v]);
    }
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
  setState(state: AdamWState): void {
    this.checkState(state);
    this.disposeMoments();
    for (const [name, slot] of this.#slots) {
      const moments = state.moments.get(name);
      if (moments == null) continue;
      if (this.moments === 'host') {
        slot.hostM = Float32Array.from(moments.m.dataSync());
        slot.hostV = Float32Array.from(moments.v.dataSync());
      } else {
        slot.m = momentVariable(tf.cast(moments.m, 'float32'));
        slot.v = momentVariable(tf.cast(moments.v, 'float32'));
      }
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
      slot.hostM = undefined;
      slot.hostV = undefined;
      slot.step = 0;
    }
  }
}

/**
 * Where a new optimizer should keep the moments of `parameterCount` parameters: on the device, unless
 * the backend's memory is bounded (wasm's 4 GiB heap) and parameters, gradients and moments together
 * would take more than a quarter of it; GPT-2 small's would take 2.6 GB. Host updates are slower, so
 * only then.
 */
export function preferredMomentsLocation(parameterCount: number): 'device' | 'host' {
  const bytes = parameterCount * 4 * 4; // parameters, gradients, two moments
  const budget = memoryBudgetBytes();
  return budget != null && bytes > budget / 4 ? 'host' : 'device';
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

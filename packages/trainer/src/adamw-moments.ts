/**
 * Where AdamW keeps its two moments per parameter, as `GradientAccumulator` keeps its sums: on the
 * device, or on the host for backends whose heap is the limit (wasm). Host moments are float32, each
 * operation rounded as the device rounds it, so both give the same bits.
 */
import {
  type AdamWScalars,
  adamwOnArrays,
  adamwUpdate,
  heapView,
  memoryBudgetBytes,
  tf,
} from '@scratchgpt/tensor';

/** A moment tensor on the host. */
export interface HostMoment {
  shape: number[];
  data: Float32Array;
}

/** A parameter's moments, by name, on the device or the host. */
export interface MomentStore {
  /** Where the moments live: a gradient accumulator beside the optimizer keeps its sums there too. */
  readonly location: 'device' | 'host';
  has(name: string): boolean;
  /**
   * One AdamW update of `param` by `grad` at `scalars`, the moments of `name` with it (zeros before
   * the first). `param` is assigned a new tensor; `grad` stays the caller's.
   */
  update(name: string, param: tf.Variable, grad: tf.Tensor, scalars: AdamWScalars): void;
  /** The moments of `name` as new device tensors the caller disposes. */
  tensors(name: string): { m: tf.Tensor; v: tf.Tensor } | undefined;
  /** The moments of `name` read to the host (asynchronously, as WebGPU requires), as new arrays. */
  read(name: string): Promise<{ m: HostMoment; v: HostMoment } | undefined>;
  /** Sets the moments of `name` to copies of `m` and `v` (which stay the caller's). */
  set(name: string, m: tf.Tensor | HostMoment, v: tf.Tensor | HostMoment): void;
  /** Frees every moment. */
  clear(): void;
}

/** Moments as non-trainable device variables, updated by one fused pass where the backend has it. */
export class DeviceMomentStore implements MomentStore {
  readonly location = 'device';
  readonly #moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  has(name: string): boolean {
    return this.#moments.has(name);
  }

  update(name: string, param: tf.Variable, grad: tf.Tensor, scalars: AdamWScalars): void {
    let moments = this.#moments.get(name);
    if (moments == null) {
      moments = { m: momentVariable(tf.zerosLike(param)), v: momentVariable(tf.zerosLike(param)) };
      this.#moments.set(name, moments);
    }
    const { m, v } = moments;
    tf.tidy(() => {
      // One fused pass on WebGPU, wasm and blas; the same float32 steps composed elsewhere.
      const next = adamwUpdate(param, grad, m, v, scalars);
      param.assign(next.param);
      m.assign(next.m);
      v.assign(next.v);
    });
  }

  tensors(name: string): { m: tf.Tensor; v: tf.Tensor } | undefined {
    const moments = this.#moments.get(name);
    return moments && { m: tf.clone(moments.m), v: tf.clone(moments.v) };
  }

  async read(name: string): Promise<{ m: HostMoment; v: HostMoment } | undefined> {
    const moments = this.#moments.get(name);
    if (moments == null) return undefined;
    const shape = [...moments.m.shape];
    return {
      m: { shape, data: (await moments.m.data()) as Float32Array },
      v: { shape, data: (await moments.v.data()) as Float32Array },
    };
  }

  set(name: string, m: tf.Tensor | HostMoment, v: tf.Tensor | HostMoment): void {
    this.#dispose(name);
    this.#moments.set(name, { m: momentVariable(deviceCopy(m)), v: momentVariable(deviceCopy(v)) });
  }

  clear(): void {
    for (const name of [...this.#moments.keys()]) this.#dispose(name);
  }

  #dispose(name: string): void {
    const moments = this.#moments.get(name);
    moments?.m.dispose();
    moments?.v.dispose();
    this.#moments.delete(name);
  }
}

/**
 * Moments in JavaScript memory, out of the wasm backend's 4 GiB heap (GPT-2 small needs 1.2 GB of
 * them), updated with one float32 rounding per device operation so that it matches the device bit for
 * bit. Reads synchronously: for backends that can (wasm, cpu).
 */
export class HostMomentStore implements MomentStore {
  readonly location = 'host';
  readonly #moments = new Map<string, { shape: number[]; m: Float32Array; v: Float32Array }>();

  has(name: string): boolean {
    return this.#moments.has(name);
  }

  update(name: string, param: tf.Variable, grad: tf.Tensor, scalars: AdamWScalars): void {
    const size = param.size;
    let moments = this.#moments.get(name);
    if (moments == null) {
      moments = { shape: [...param.shape], m: new Float32Array(size), v: new Float32Array(size) };
      this.#moments.set(name, moments);
    }
    // The gradient is read where it lies on wasm (no copy). The parameter is replaced, never written in
    // place: the wasm backend caches products' packed operands by tensor, and a weight changed under the
    // same tensor made later products use its old values.
    const g = heapView(grad) ?? (grad.dataSync() as Float32Array);
    const current = heapView(param) ?? (param.dataSync() as Float32Array);
    const p = new Float32Array(size);
    const { m, v } = moments;
    adamwOnArrays(g, current, m, v, { p, m, v }, scalars);
    tf.tidy(() => param.assign(tf.tensor(p, param.shape, 'float32')));
  }

  tensors(name: string): { m: tf.Tensor; v: tf.Tensor } | undefined {
    const moments = this.#moments.get(name);
    if (moments == null) return undefined;
    const { shape, m, v } = moments;
    return { m: tf.tensor(m.slice(), shape, 'float32'), v: tf.tensor(v.slice(), shape, 'float32') };
  }

  async read(name: string): Promise<{ m: HostMoment; v: HostMoment } | undefined> {
    const moments = this.#moments.get(name);
    if (moments == null) return undefined;
    const { shape, m, v } = moments;
    return { m: { shape: [...shape], data: m.slice() }, v: { shape: [...shape], data: v.slice() } };
  }

  set(name: string, m: tf.Tensor | HostMoment, v: tf.Tensor | HostMoment): void {
    // Host arrays are copied in directly: nothing touches the device.
    this.#moments.set(name, { shape: [...m.shape], m: hostCopy(m), v: hostCopy(v) });
  }

  clear(): void {
    this.#moments.clear();
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

/** The store AdamW uses unless told otherwise: where {@link preferredMomentsLocation} says. */
export function defaultMomentStore(parameterCount: number): MomentStore {
  return preferredMomentsLocation(parameterCount) === 'host'
    ? new HostMomentStore()
    : new DeviceMomentStore();
}

function isHostMoment(moment: tf.Tensor | HostMoment): moment is HostMoment {
  return ArrayBuffer.isView((moment as HostMoment).data);
}

function deviceCopy(moment: tf.Tensor | HostMoment): tf.Tensor {
  return isHostMoment(moment) ? tf.tensor(moment.data, moment.shape, 'float32') : tf.cast(moment, 'float32');
}

function hostCopy(moment: tf.Tensor | HostMoment): Float32Array {
  return Float32Array.from(isHostMoment(moment) ? moment.data : moment.dataSync());
}

/** A non-trainable variable (so `tf.variableGrads` never differentiates it) taking over `initial`. */
function momentVariable(initial: tf.Tensor): tf.Variable {
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}

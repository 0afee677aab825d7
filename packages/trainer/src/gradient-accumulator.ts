/**
 * Gradient accumulation over micro-batches: k micro-batches of size b give the gradient of one batch
 * of k·b when each loss is a mean over the same number of targets. When the counts differ (ignored
 * targets), each micro-batch's target count is its weight, and the result is the token mean.
 *
 * The running sums live on the device, or on the host for backends whose heap is the limit (wasm):
 * there each micro-batch's gradients can be freed as soon as they are added. Host sums are float32,
 * each operation rounded as the device rounds it, so both give the same bits.
 */
import { heapView, tf } from '@scratchgpt/tensor';
import { entriesOf, type Gradients, sameShape } from './named-tensors.js';

export interface GradientAccumulatorOptions {
  /** Where the running sums live (default 'device'). 'host' reads gradients synchronously: wasm, cpu. */
  storage?: 'device' | 'host';
}

/** A running sum by parameter name, on the device or the host. */
interface SumStore {
  shapeOf(name: string): readonly number[] | undefined;
  /** sum[name] += weight · grad (the first addition starts the sum). */
  add(name: string, grad: tf.Tensor, weight: number): void;
  /** Each sum divided by `total`, as new device tensors. */
  divide(total: number): Map<string, tf.Tensor>;
  clear(): void;
}

export class GradientAccumulator {
  readonly storage: 'device' | 'host';
  readonly #sums: SumStore;
  #totalWeight = 0;
  #count = 0;

  constructor(options: GradientAccumulatorOptions = {}) {
    this.storage = options.storage ?? 'device';
    this.#sums = this.storage === 'host' ? new HostSums() : new DeviceSums();
  }

  /** Micro-batches added since the last reset. */
  get count(): number {
    return this.#count;
  }

  get totalWeight(): number {
    return this.#totalWeight;
  }

  /** Adds `weight · grads` (the gradients stay the caller's). */
  add(grads: Gradients, weight = 1): void {
    if (!Number.isFinite(weight) || weight < 0) {
      throw new RangeError(`A micro-batch weight must be a finite number ≥ 0, got ${weight}`);
    }
    for (const [name, grad] of entriesOf(grads)) {
      const shape = this.#sums.shapeOf(name);
      if (shape != null && !sameShape(shape, grad.shape)) {
        throw new RangeError(
          `Gradient '${name}' has shape [${grad.shape.join(', ')}] but earlier micro-batches gave [${shape.join(', ')}]`,
        );
      }
      this.#sums.add(name, grad, weight);
    }
    this.#totalWeight += weight;
    this.#count++;
  }

  /** The weighted mean of the gradients added so far, as new tensors the caller disposes. */
  average(): Map<string, tf.Tensor> {
    if (this.#count === 0) throw new Error('GradientAccumulator.average() before any add()');
    if (this.#totalWeight === 0) throw new Error('GradientAccumulator.average(): every weight was 0');
    return this.#sums.divide(this.#totalWeight);
  }

  /** Drops the sums, ready for the next batch. */
  reset(): void {
    this.#sums.clear();
    this.#totalWeight = 0;
    this.#count = 0;
  }

  dispose(): void {
    this.reset();
  }
}

class DeviceSums implements SumStore {
  readonly #sums = new Map<string, tf.Tensor>();

  shapeOf(name: string): readonly number[] | undefined {
    return this.#sums.get(name)?.shape;
  }

  add(name: string, grad: tf.Tensor, weight: number): void {
    const previous = this.#sums.get(name);
    // Kept: a caller's tf.tidy around add() must not free the running sums.
    const sum = tf.keep(
      tf.tidy(() => {
        const scaled = weight === 1 ? tf.clone(grad) : tf.mul(grad, weight);
        return previous == null ? scaled : tf.add(previous, scaled);
      }),
    );
    previous?.dispose();
    this.#sums.set(name, sum);
  }

  divide(total: number): Map<string, tf.Tensor> {
    return new Map([...this.#sums].map(([name, sum]) => [name, tf.div(sum, total)]));
  }

  clear(): void {
    for (const sum of this.#sums.values()) sum.dispose();
    this.#sums.clear();
  }
}

class HostSums implements SumStore {
  readonly #sums = new Map<string, { shape: number[]; data: Float32Array }>();

  shapeOf(name: string): readonly number[] | undefined {
    return this.#sums.get(name)?.shape;
  }

  add(name: string, grad: tf.Tensor, weight: number): void {
    const f = Math.fround;
    const w = f(weight);
    const values = heapView(grad) ?? (grad.dataSync() as Float32Array);
    let entry = this.#sums.get(name);
    if (entry == null) {
      entry = { shape: [...grad.shape], data: new Float32Array(values.length) };
      this.#sums.set(name, entry);
    }
    const sums = entry.data;
    for (let i = 0; i < sums.length; i++) sums[i] = f((sums[i] as number) + f((values[i] as number) * w));
  }

  divide(total: number): Map<string, tf.Tensor> {
    const t = Math.fround(total);
    const out = new Map<string, tf.Tensor>();
    for (const [name, { shape, data }] of this.#sums) {
      const mean = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) mean[i] = Math.fround((data[i] as number) / t);
      out.set(name, tf.tensor(mean, shape, 'float32'));
    }
    return out;
  }

  clear(): void {
    this.#sums.clear();
  }
}

/**
 * Gradients by a module's parameter names, and their accumulation over micro-batches.
 */
import { heapView, type Module, tf } from '@scratchgpt/tensor';
import { entriesOf, type Gradients, sameShape } from './named-tensors.js';

export interface LossAndGradients {
  /** The loss value: read it with `await loss.data()`, then dispose it. */
  loss: tf.Scalar;
  /** d loss / d parameter by dotted name (`head.weight`), for every trainable parameter the loss uses. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Runs `lossFn` and differentiates it with respect to the module's trainable parameters.
 * A parameter the loss does not reach gets no entry (AdamW then skips it, as PyTorch skips a `None`
 * gradient). The caller disposes the loss and the gradients.
 */
export function computeGradients(model: Module, lossFn: () => tf.Scalar): LossAndGradients {
  const named = model.namedParameters().filter(([, variable]) => variable.trainable);
  if (named.length === 0) throw new Error('computeGradients: the model has no trainable parameters');
  const { value, grads } = tf.variableGrads(
    lossFn,
    named.map(([, variable]) => variable),
  );
  const byName = new Map<string, tf.Tensor>();
  // tf.variableGrads keys by TF.js's unique variable names; map them back to the module's names.
  for (const [name, variable] of named) {
    const grad = grads[variable.name];
    if (grad != null) byName.set(name, grad);
  }
  return { loss: value, grads: byName };
}

function checkWeight(weight: number): void {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new RangeError(`A micro-batch weight must be a finite number ≥ 0, got ${weight}`);
  }
}

/**
 * Sums gradients over micro-batches, then averages them: k micro-batches of size b give the gradient
 * of one batch of k·b when each loss is a mean over the same number of targets. When the counts
 * differ (ignored targets), pass each micro-batch's target count as its weight to get the token mean.
 */
export class GradientAccumulator {
  readonly #sums = new Map<string, tf.Tensor>();
  #totalWeight = 0;
  #count = 0;

  /** Micro-batches added since the last reset. */
  get count(): number {
    return this.#count;
  }

  get totalWeight(): number {
    return this.#totalWeight;
  }

  /** Adds `weight · grads` (the gradients stay the caller's). */
  add(grads: Gradients, weight = 1): void {
    checkWeight(weight);
    for (const [name, grad] of entriesOf(grads)) {
      const previous = this.#sums.get(name);
      if (previous != null && !sameShape(previous.shape, grad.shape)) {
        throw new RangeError(
          `Gradient '${name}' has shape [${grad.shape.join(', ')}] but earlier micro-batches gave ` +
            `[${previous.shape.join(', ')}]`,
        );
      }
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
    this.#totalWeight += weight;
    this.#count++;
  }

  /** The weighted mean of the gradients added so far, as new tensors the caller disposes. */
  average(): Map<string, tf.Tensor> {
    if (this.#count === 0) throw new Error('GradientAccumulator.average() before any add()');
    if (this.#totalWeight === 0) throw new Error('GradientAccumulator.average(): every weight was 0');
    const out = new Map<string, tf.Tensor>();
    for (const [name, sum] of this.#sums) out.set(name, tf.div(sum, this.#totalWeight));
    return out;
  }

  /** Drops the sums, ready for the next batch. */
  reset(): void {
    for (const sum of this.#sums.values()) sum.dispose();
    this.#sums.clear();
    this.#totalWeight = 0;
    this.#count = 0;
  }

  dispose(): void {
    this.reset();
  }
}

/**
 * The same accumulation with the running sums in JavaScript memory, for backends whose heap is the
 * limit (wasm): each micro-batch's gradients can be freed as soon as they are added. The sums are
 * float32, each addition rounded as the device would round it. Reads synchronously (wasm, cpu).
 */
export class HostGradientAccumulator {
  readonly #sums = new Map<string, { shape: number[]; data: Float32Array }>();
  #totalWeight = 0;
  #count = 0;

  get count(): number {
    return this.#count;
  }

  get totalWeight(): number {
    return this.#totalWeight;
  }

  add(grads: Gradients, weight = 1): void {
    checkWeight(weight);
    const f = Math.fround;
    const w = f(weight);
    for (const [name, grad] of entriesOf(grads)) {
      const values = heapView(grad) ?? (grad.dataSync() as Float32Array);
      const previous = this.#sums.get(name);
      if (previous == null) {
        const data = new Float32Array(values.length);
        for (let i = 0; i < data.length; i++) data[i] = f((values[i] as number) * w);
        this.#sums.set(name, { shape: [...grad.shape], data });
        continue;
      }
      if (!sameShape(previous.shape, grad.shape)) {
        throw new RangeError(
          `Gradient '${name}' has shape [${grad.shape.join(', ')}] but earlier micro-batches gave [${previous.shape.join(', ')}]`,
        );
      }
      const sums = previous.data;
      for (let i = 0; i < sums.length; i++) sums[i] = f((sums[i] as number) + f((values[i] as number) * w));
    }
    this.#totalWeight += weight;
    this.#count++;
  }

  /** The weighted mean as new device tensors the caller disposes. */
  average(): Map<string, tf.Tensor> {
    if (this.#count === 0) throw new Error('HostGradientAccumulator.average() before any add()');
    if (this.#totalWeight === 0) throw new Error('HostGradientAccumulator.average(): every weight was 0');
    const total = Math.fround(this.#totalWeight);
    const out = new Map<string, tf.Tensor>();
    for (const [name, { shape, data }] of this.#sums) {
      const mean = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) mean[i] = Math.fround((data[i] as number) / total);
      out.set(name, tf.tensor(mean, shape, 'float32'));
    }
    return out;
  }

  reset(): void {
    this.#sums.clear();
    this.#totalWeight = 0;
    this.#count = 0;
  }

  dispose(): void {
    this.reset();
  }
}

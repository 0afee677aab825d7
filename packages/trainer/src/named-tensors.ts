/** Gradients and other tensors keyed by parameter name, as a Map or a plain object. */
import type { tf } from '@scratchgpt/tensor';

export type Gradients = Map<string, tf.Tensor> | Record<string, tf.Tensor>;

export function entriesOf(tensors: Gradients): Array<[string, tf.Tensor]> {
  return tensors instanceof Map ? [...tensors] : Object.entries(tensors);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** Looking up and running a fused kernel on the active backend. */
import { tf } from '../tf.js';

/** Whether the active backend registers `kernelName`. */
export function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

export function runFused(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, number | boolean> = {},
): tf.Tensor[] {
  const result = tf.engine().runKernel(kernelName, inputs, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(result) ? (result as tf.Tensor[]) : [result as tf.Tensor];
}

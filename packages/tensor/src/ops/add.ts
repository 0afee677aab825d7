/**
 * Additions whose gradients keep nothing alive.
 *
 * TF.js's `add` saves both inputs for its backward pass only to read their shapes, so every residual
 * connection and bias in a network holds two activations until the end of backpropagation: in a GPT
 * that is a good part of the training memory (the wasm backend has 4 GiB in all). These keep the
 * shapes, not the tensors.
 */
import { tf } from '../tf.js';

/**
 * x + y where y's shape is a suffix of x's (a bias, a position table, a residual of the same shape).
 * dx = dy; dy_y = dy summed over x's leading axes.
 */
export function addBroadcast(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const leading = x.rank - y.rank;
  const suffix = x.shape.slice(leading);
  if (leading < 0 || suffix.some((size, i) => size !== y.shape[i])) {
    throw new RangeError(`addBroadcast needs y's shape [${y.shape}] to end x's shape [${x.shape}]`);
  }
  const op = tf.customGrad((...args) => {
    const [a, b] = args as [tf.Tensor, tf.Tensor];
    return {
      value: tf.add(a, b),
      gradFunc: (dy) => {
        const upstream = dy as tf.Tensor;
        return [upstream, leading === 0 ? upstream : tf.sum(upstream, [...Array(leading).keys()])];
      },
    };
  }) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  return op(x, y);
}

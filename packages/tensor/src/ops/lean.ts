/**
 * A reshape and a product by a constant whose gradients keep only what they need. TF.js's `reshape`
 * saves its input to learn its shape, and its `mul` saves both factors, so a reshaped activation or a
 * scaled one stays alive until the backward pass ends even where nothing else needs it (a LoRA
 * update's output, a linear layer's output on its way to the next op). These keep the shape, or the
 * constant factor alone. The gradients are TF.js's own kernels on the same operands: the same bits.
 */
import { tf } from '../tf.js';

/** `tf.reshape(x, shape)`; its gradient reshapes the upstream gradient back to x's shape. */
export function reshapeView(x: tf.Tensor, shape: number[]): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const input = args[0] as tf.Tensor;
    return {
      value: tf.reshape(input, shape),
      gradFunc: (dy) => tf.reshape(dy as tf.Tensor, input.shape),
    };
  }) as unknown as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

/**
 * x · factor, where factor is a number or a tensor that broadcasts to x's shape and takes no gradient
 * (a mask, a scale): the backward pass keeps the factor only.
 */
export function mulConstant(x: tf.Tensor, factor: number | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const constant = typeof factor === 'number' ? tf.scalar(factor) : factor;
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, constant.shape);
    if (!tf.util.arraysEqual(shape, x.shape)) {
      throw new RangeError(
        `mulConstant: the factor's shape [${constant.shape}] would widen x's [${x.shape}]`,
      );
    }
    const op = tf.customGrad((...args) => {
      const [input, kept, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([kept]);
      return {
        value: tf.mul(input, kept),
        gradFunc: (dy, saved) => {
          const [savedFactor] = saved as [tf.Tensor];
          return [tf.mul(dy as tf.Tensor, savedFactor), tf.zerosLike(savedFactor)];
        },
      };
    }) as unknown as (x: tf.Tensor, factor: tf.Tensor) => tf.Tensor;
    return op(x, constant);
  });
}

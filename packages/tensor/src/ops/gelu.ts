/**
 * GELU in GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 *
 * One operation with its own gradient, which keeps only x: composed from primitives, every
 * intermediate (x³, the inner sum, the tanh) would be kept for the backward pass, a few copies of the
 * largest activation in every transformer block.
 */
import { tf } from '../tf.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/** tanh(√(2/π)·(x + 0.044715·x³)), written as x·(1 + 0.044715·x²) so x² is computed once. */
function innerTanh(x: tf.Tensor, square: tf.Tensor): tf.Tensor {
  return tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.mul(x, tf.add(1, tf.mul(CUBIC, square)))));
}

const geluOp = tf.customGrad((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, innerTanh(x, tf.square(x))))),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const [input] = saved as [tf.Tensor];
        const square = tf.square(input);
        const t = innerTanh(input, square);
        // d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
        const slope = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * CUBIC, square)));
        const derivative = tf.add(
          tf.mul(0.5, tf.add(1, t)),
          tf.mul(tf.mul(0.5, input), tf.mul(tf.sub(1, tf.square(t)), slope)),
        );
        return tf.mul(dy as tf.Tensor, derivative);
      }),
  };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/** GELU (tanh approximation), elementwise, with a gradient that keeps only the input. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

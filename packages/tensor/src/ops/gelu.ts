/**
 * GELU in GPT-2's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as one operation
 * with its own gradient: composed from primitives, every intermediate (x³, the tanh, …) would be kept
 * for the backward pass. Where the backend has the fused kernels (WebGPU) each direction is one pass.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

const composedGelu = tf.customGrad((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.tidy(() => {
      const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(CUBIC, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const [input] = saved as [tf.Tensor];
        const square = tf.square(input);
        const t = tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.mul(input, tf.add(1, tf.mul(CUBIC, square)))));
        // d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
        const slope = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * CUBIC, square)));
        const derivative = tf.add(
          tf.mul(0.5, tf.add(1, t)),
          tf.mul(tf.mul(0.5, input), tf.mul(tf.sub(1, tf.square(t)), slope)),
        );
        return tf.mul(dy as tf.Tensor, derivative);
      }),
  };
}) as (x: tf.Tensor) => tf.Tensor;

const fusedGelu = tf.customGrad((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: runFused(fusedKernelNames.gelu, { x })[0] as tf.Tensor,
    gradFunc: (dy, saved) =>
      runFused(fusedKernelNames.geluGrad, {
        x: (saved as [tf.Tensor])[0],
        dy: dy as tf.Tensor,
      })[0] as tf.Tensor,
  };
}) as (x: tf.Tensor) => tf.Tensor;

export function gelu(x: tf.Tensor): tf.Tensor {
  return hasFusedKernel(fusedKernelNames.gelu) ? fusedGelu(x) : composedGelu(x);
}

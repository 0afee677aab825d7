/**
 * GELU in GPT-2's tanh approximation: 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³).
 *
 * One operation with its own gradient, which keeps only x: composed from primitives, every
 * intermediate (x³, the inner sum, the tanh) would be kept for the backward pass, a few copies of the
 * largest activation in every transformer block. Where the backend has the fused kernels (WebGPU),
 * each direction is one pass.
 *
 * Composed, it is computed as x·σ(2u), the same function (0.5·(1 + tanh(u)) = σ(2u)): TF.js's wasm
 * backend runs sigmoid through XNNPACK's vector kernel, about twenty times faster than its
 * element-by-element tanh, and x³ as x·x² rather than through `pow`.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/** σ(2u) = 0.5·(1 + tanh(u)), with u = √(2/π)·x·(1 + 0.044715·x²), given x and x². */
function gate(x: tf.Tensor, square: tf.Tensor): tf.Tensor {
  return tf.sigmoid(tf.mul(tf.mul(x, 2 * SQRT_2_OVER_PI), tf.add(1, tf.mul(CUBIC, square))));
}

const composedGelu = tf.customGrad((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.tidy(() => tf.mul(x, gate(x, tf.square(x)))),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const [input] = saved as [tf.Tensor];
        const square = tf.square(input);
        const s = gate(input, square);
        // With t = tanh(u) = 2s − 1: d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·du/dx
        //                                  = s + 2·x·s·(1 − s)·√(2/π)·(1 + 3·0.044715·x²)
        const slope = tf.mul(2 * SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * CUBIC, square)));
        const derivative = tf.add(s, tf.mul(tf.mul(input, tf.mul(s, tf.sub(1, s))), slope));
        return tf.mul(dy as tf.Tensor, derivative);
      }),
  };
}) as unknown as (x: tf.Tensor) => tf.Tensor;

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
}) as unknown as (x: tf.Tensor) => tf.Tensor;

/** GELU (tanh approximation), elementwise, with a gradient that keeps only the input. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return hasFusedKernel(fusedKernelNames.gelu) ? fusedGelu(x) : composedGelu(x);
}

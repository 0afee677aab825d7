/**
 * LayerNorm over the last axis: each vector normalised to mean 0 and (biased) variance 1, then scaled
 * and shifted. One operation with its own gradient, which keeps only the input for the backward pass:
 *   x̂ = (x − μ)·r with r = 1/√(σ² + ε);  dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·scale
 * Where the backend has the fused kernels (WebGPU) each direction is one pass over the rows.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

type LayerNormOp = (x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor) => tf.Tensor;

function composed(eps: number): LayerNormOp {
  const normalize = (x: tf.Tensor) => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.div(centered, tf.sqrt(tf.add(variance, eps)));
  };
  return tf.customGrad((...args) => {
    const [x, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, scale]);
    return {
      value: tf.tidy(() => tf.add(tf.mul(normalize(x), scale), shift)),
      gradFunc: (dy, saved) =>
        tf.tidy(() => {
          const [input, savedScale] = saved as [tf.Tensor, tf.Tensor];
          const upstream = dy as tf.Tensor;
          const centered = tf.sub(input, tf.mean(input, -1, true));
          const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
          const normalized = tf.mul(centered, rstd);
          const g = tf.mul(upstream, savedScale);
          const dx = tf.mul(
            rstd,
            tf.sub(
              tf.sub(g, tf.mean(g, -1, true)),
              tf.mul(normalized, tf.mean(tf.mul(g, normalized), -1, true)),
            ),
          );
          const leading = [...Array(input.rank - 1).keys()];
          return [dx, tf.sum(tf.mul(upstream, normalized), leading), tf.sum(upstream, leading)];
        }),
    };
  }) as unknown as LayerNormOp;
}

function fused(eps: number): LayerNormOp {
  return tf.customGrad((...args) => {
    const [x, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, scale]);
    return {
      value: runFused(fusedKernelNames.layerNorm, { x, scale, shift }, { eps })[0] as tf.Tensor,
      gradFunc: (dy, saved) => {
        const [input, savedScale] = saved as [tf.Tensor, tf.Tensor];
        return runFused(
          fusedKernelNames.layerNormGrad,
          { x: input, scale: savedScale, dy: dy as tf.Tensor },
          { eps },
        );
      },
    };
  }) as unknown as LayerNormOp;
}

const ops = new Map<string, LayerNormOp>();

/** x (…, D), scale and shift (D) → (…, D). */
export function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, eps = 1e-5): tf.Tensor {
  const useFused = hasFusedKernel(fusedKernelNames.layerNorm);
  const key = `${useFused}:${eps}`;
  let op = ops.get(key);
  if (op == null) {
    op = useFused ? fused(eps) : composed(eps);
    ops.set(key, op);
  }
  return op(x, scale, shift);
}

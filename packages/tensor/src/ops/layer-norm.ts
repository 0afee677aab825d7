/**
 * Layer normalisation over the last axis: (x − mean) / √(variance + ε) · scale + shift, with the biased
 * variance (divide by n) as GPT-2 and PyTorch use.
 *
 * One operation with its own gradient, which keeps only x and scale (composed from primitives it
 * would keep half a dozen copies of x). With x̂ = (x − μ)·r, r = 1/√(σ² + ε) and g = dy·scale:
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dscale = Σ dy·x̂,  dshift = Σ dy   (sums over leading axes)
 * Where the backend has the fused kernels (WebGPU), each direction is one pass over the rows.
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

type LayerNormOp = (x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor) => tf.Tensor;

/** (x − mean)·r and r, over the last axis. */
function normalize(x: tf.Tensor, eps: number): { normalized: tf.Tensor; rstd: tf.Tensor } {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
  return { normalized: tf.mul(centered, rstd), rstd };
}

function composed(eps: number): LayerNormOp {
  return tf.customGrad((...args) => {
    const [x, scale, shift, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, scale]);
    return {
      value: tf.tidy(() => tf.add(tf.mul(normalize(x, eps).normalized, scale), shift)),
      gradFunc: (dy, saved) =>
        tf.tidy(() => {
          const [input, savedScale] = saved as [tf.Tensor, tf.Tensor];
          const upstream = dy as tf.Tensor;
          const { normalized, rstd } = normalize(input, eps);
          const g = tf.mul(upstream, savedScale);
          const meanG = tf.mean(g, -1, true);
          const meanGx = tf.mean(tf.mul(g, normalized), -1, true);
          const dx = tf.mul(rstd, tf.sub(tf.sub(g, meanG), tf.mul(normalized, meanGx)));
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

/** Normalises x (…, n) over its last axis, then scales and shifts by the (n) vectors `scale`, `shift`. */
export function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, eps = 1e-5): tf.Tensor {
  const n = x.shape[x.rank - 1];
  if (scale.rank !== 1 || shift.rank !== 1 || scale.shape[0] !== n || shift.shape[0] !== n) {
    throw new RangeError(
      `layerNorm needs scale and shift of shape [${n}] for x of shape [${x.shape}], got [${scale.shape}] and [${shift.shape}]`,
    );
  }
  const useFused = hasFusedKernel(fusedKernelNames.layerNorm);
  const key = `${useFused}:${eps}`;
  let op = ops.get(key);
  if (op == null) {
    op = useFused ? fused(eps) : composed(eps);
    ops.set(key, op);
  }
  return op(x, scale, shift);
}
